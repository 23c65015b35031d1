"""Benchmark: expire 10,000 overdue privatisation requests with the beat job's code path.

Needs PostgreSQL (DATABASE_URL). Creates its own database (<name>_bench_deadlines), fills
it, runs `privatisation.tasks.expire_overdue` once, prints one figure a line:

    expire_seconds: X
    expire_queries: N

then, over N_SLOTS public slots of workshops with a minimum (their own data), the beat jobs of
issue 11: the minimum-participants check and the customers' reminders:

    minimum_sweep_seconds: X
    reminders_seconds: X

The broker is swapped for an in-memory one so the publishes after commit are timed without
flooding a real queue (a running worker would otherwise send 26,000 demo emails).
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
N_SLOTS = int(os.environ.get("BENCH_SLOTS", "10000"))
ANSWERED_SHARE = 0.3  # answered and unpaid: their held slots are cancelled too


def own_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/deadlines.py needs DATABASE_URL pointing at PostgreSQL")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_bench_deadlines"
    import psycopg

    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path="/" + name))


def main() -> None:
    os.environ["DATABASE_URL"] = own_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bookings.models import Artisan, Slot, Workshop
    from bookings.states import SlotKind, SlotStatus
    from config.celery import app as celery_app
    from privatisation import tasks
    from privatisation.models import Offer, PrivatisationRequest
    from privatisation.states import RequestStatus

    celery_app.conf.broker_url = "memory://"
    call_command("migrate", verbosity=0)

    now = timezone.now()
    user = get_user_model().objects.create_user("bench@example.com", "bench@example.com", "x")
    artisan = Artisan.objects.create(
        user=user, display_name="Bench", slug="bench", phone="+33612345678", language="fr"
    )
    workshops = [
        Workshop.objects.create(
            artisan=artisan,
            title=f"Workshop {i}",
            slug=f"w-{i}",
            city="Paris",
            price_cents=5000,
            is_published=True,
            privatisation_enabled=True,
            private_min_capacity=2,
        )
        for i in range(20)
    ]
    n_answered = int(N_REQUESTS * ANSWERED_SHARE)
    rows = []
    for i in range(N_REQUESTS):
        answered = i < n_answered
        rows.append(
            PrivatisationRequest(
                workshop=workshops[i % len(workshops)],
                contact_name=f"Customer {i}",
                email=f"c{i}@example.com",
                phone="+33611223344",
                language="en" if i % 2 else "fr",
                participants=4,
                message="Hello",
                seat_price_cents=5000,
                billed_participants=4,
                price_cents=20000,
                status=RequestStatus.ANSWERED if answered else RequestStatus.PENDING,
                respond_by=now - timedelta(hours=80 if answered else 1),
                pay_by=now - timedelta(minutes=5) if answered else None,
            )
        )
    requests = PrivatisationRequest.objects.bulk_create(rows, batch_size=2000)
    start = now + timedelta(days=30)
    slots = Slot.objects.bulk_create(
        [
            Slot(
                workshop=r.workshop,
                starts_at=start + timedelta(hours=3 * i),
                ends_at=start + timedelta(hours=3 * i + 2),
                capacity=4,
                kind=SlotKind.PRIVATE,
                status=SlotStatus.HELD,
            )
            for i, r in enumerate(requests[:n_answered])
        ],
        batch_size=2000,
    )
    Offer.objects.bulk_create(
        [Offer(request=r, slot=s) for r, s in zip(requests, slots, strict=False)], batch_size=2000
    )

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        expired = tasks.expire_overdue()
        seconds = time.perf_counter() - began

    left = PrivatisationRequest.objects.filter(
        status__in=[RequestStatus.PENDING, RequestStatus.ANSWERED]
    ).count()
    held = Slot.objects.filter(status=SlotStatus.HELD).count()
    assert expired == N_REQUESTS and left == 0 and held == 0, (expired, left, held)
    again = tasks.expire_overdue()
    assert again == 0
    print(f"expire_requests: {expired}")
    print(f"expire_seconds: {seconds:.2f}")
    print(f"expire_queries: {len(queries)}")
    minimum_and_reminders(artisan, now)


def minimum_and_reminders(artisan, now) -> None:
    """N_SLOTS slots, one confirmed order each: a third below the minimum and asked (4 days and
    some hours ahead: the check is due, the decision time and the change deadline within a day),
    a third at the minimum, a third starting within 48 hours (past their decision time)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bookings import tasks
    from bookings.models import Order, Slot, Workshop
    from bookings.states import OrderStatus

    workshops = [
        Workshop.objects.create(
            artisan=artisan,
            title=f"Minimum {i}",
            slug=f"m-{i}",
            city="Paris",
            address="1 rue du Four",
            practical_info="Bring an apron.",
            price_cents=5000,
            is_published=True,
            min_participants=3,
        )
        for i in range(10)
    ]
    slots, seats = [], []
    for i in range(N_SLOTS):
        kind = i % 3
        if kind == 2:
            start = now + timedelta(hours=2, minutes=(i * 7) % (45 * 60))
        else:
            start = now + timedelta(days=4, minutes=30 + (i * 7) % (23 * 60))
        seats.append(1 if kind == 0 else 3 if kind == 1 else 2)
        slots.append(
            Slot(
                workshop=workshops[i % len(workshops)],
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=8,
                seats_taken=seats[-1],
            )
        )
    slots = Slot.objects.bulk_create(slots, batch_size=2000)
    Order.objects.bulk_create(
        [
            Order(
                reference=f"B{i:07d}",
                slot=slot,
                status=OrderStatus.CONFIRMED,
                customer_name=f"Customer {i}",
                customer_email=f"m{i}@example.com",
                customer_phone="+33611223344" if i % 2 else "",
                language="en" if i % 2 else "fr",
                seats=n,
                total_cents=5000 * n,
                holds_seats=True,
                confirmed_at=now - timedelta(days=10),
            )
            for i, (slot, n) in enumerate(zip(slots, seats, strict=True))
        ],
        batch_size=2000,
    )

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        minimum = tasks.check_minimum_participants()
        minimum_seconds = time.perf_counter() - began
    below = len(range(0, N_SLOTS, 3))
    assert minimum == {"asked": below, "cancelled": 0}, minimum
    assert tasks.check_minimum_participants() == {"asked": 0, "cancelled": 0}
    print(f"minimum_asked: {minimum['asked']}")
    print(f"minimum_sweep_seconds: {minimum_seconds:.2f}")
    print(f"minimum_sweep_queries: {len(queries)}")

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        sent = tasks.send_order_reminders()
        reminders_seconds = time.perf_counter() - began
    soon = N_SLOTS // 3
    assert sent == {"change": N_SLOTS - soon, "start": soon}, sent
    assert tasks.send_order_reminders() == {"change": 0, "start": 0}
    print(f"reminders_sent: {sent['change'] + sent['start']}")
    print(f"reminders_seconds: {reminders_seconds:.2f}")
    print(f"reminders_queries: {len(queries)}")


if __name__ == "__main__":
    main()
