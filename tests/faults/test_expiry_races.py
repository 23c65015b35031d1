"""Beat runs the expiry jobs twice at once (three threads, PostgreSQL row locks).

Each row expires once, each notice is written once, seats go back once. Privatisation's
`expire_overdue` has its own race test (tests/privatisation/test_races.py); these cover
pending orders' `expire_overdue` and bookings' `release_lapsed_holds`.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from bookings.models import Order, Slot
from bookings.services import orders_release_lapsed_holds
from bookings.states import OrderStatus
from notifications.models import Notification
from pending_orders import services
from tests.factories import OrderFactory, PendingOrderFactory, SlotFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(job, times=3):
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


def test_pending_orders_expiry_run_three_times_at_once_expires_each_order_once(
    postgres_only, monkeypatch
):
    released = []
    monkeypatch.setattr(services.dispatch, "dispatch_releases", lambda ids: released.extend(ids))
    slots = [SlotFactory(capacity=20) for _ in range(3)]
    orders = [
        PendingOrderFactory(slot=slots[i % 3], decide_by=timezone.now() + timedelta(hours=1))
        for i in range(30)
    ]
    # Half were accepted and then failed at capture: they hold seats that must come back once.
    for order in orders[::2]:
        Order.objects.filter(pk=order.pk).update(
            status=OrderStatus.CAPTURE_FAILED, holds_seats=True
        )
        Slot.objects.filter(pk=order.slot_id).update(seats_taken=F("seats_taken") + order.seats)
    later = timezone.now() + timedelta(hours=2)

    counts = run_concurrently(lambda: services.orders_expire_overdue(now=later, batch_size=4))

    assert sum(counts) == 30
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.EXPIRED}
    assert sorted(released) == sorted(o.pk for o in orders)  # each hold released once
    assert list(Slot.objects.values_list("seats_taken", flat=True)) == [0, 0, 0]
    notices = Counter(
        Notification.objects.filter(idempotency_key__endswith=":order_expired:email").values_list(
            "idempotency_key", flat=True
        )
    )
    assert len(notices) == 30 and set(notices.values()) == {1}
    # The artisans' notices: every expired order is listed in exactly one of them.
    listed = Counter()
    for n in Notification.objects.filter(template__endswith="orders_expired"):
        listed.update(o.reference for o in orders if o.reference in n.body_text)
    assert len(listed) == 30 and set(listed.values()) == {1}


def test_lapsed_holds_job_run_three_times_at_once_gives_seats_back_once(postgres_only):
    slot = SlotFactory(capacity=40)
    orders = [
        OrderFactory(
            slot=slot,
            status=OrderStatus.PENDING_PAYMENT,
            seats=2,
            holds_seats=True,
            hold_expires_at=timezone.now() - timedelta(minutes=1),
        )
        for _ in range(15)
    ]
    Slot.objects.filter(pk=slot.pk).update(seats_taken=30)

    counts = run_concurrently(orders_release_lapsed_holds)

    assert sum(counts) == 15
    assert set(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)
    ) == {OrderStatus.EXPIRED}
    slot.refresh_from_db()
    assert slot.seats_taken == 0
