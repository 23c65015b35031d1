"""Bulk accept of 500 pending orders on PostgreSQL, with a real Celery worker (dev gateway).

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bulk_accept.py

Makes its own database (`<name>_bench_bulk_accept`, dropped at the end), 500 confirm-first
orders authorised on the dev gateway through the real booking path, then:
- accept_request_seconds: the artisan's confirmed "Accept orders" POST through the Django
  test client (the view, the service, the commit, publishing the capture fan-out);
- capture_all_seconds: from that POST until a real `celery worker` process has captured and
  confirmed all 500 (tickets and confirmation emails queued);
- accept_request_queries: SQL queries the POST ran.
With no REDIS_URL the broker is kombu's filesystem transport under a temporary folder.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ORDERS = int(os.environ.get("BENCH_ORDERS", "500"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "300"))


def main() -> int:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        print("bench/bulk_accept.py needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    db_name = base.rsplit("/", 1)[1].split("?")[0] + "_bench_bulk_accept"
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + db_name
    os.environ["ATELIER_TESTING"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    tmp = tempfile.mkdtemp(prefix="bench-bulk-accept-")
    if not os.environ.get("REDIS_URL"):
        # No Redis: kombu's filesystem broker in a folder of our own.
        os.environ.pop("REDIS_URL", None)

    import psycopg

    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    worker = None
    try:
        import django

        django.setup()
        from django.conf import settings

        from config.celery import app

        # A queue of our own: no other worker eats these tasks, and we eat nobody's.
        os.environ["BENCH_QUEUE"] = f"bench-bulk-accept-{os.getpid()}"
        app.conf.task_default_queue = os.environ["BENCH_QUEUE"]
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        artisan, slot, ticket_type = _seed()
        worker = _start_worker(tmp)
        _wait_for_worker(app)
        result = _run(artisan, slot)
        print(f"accept_request_seconds: {result['request']:.3f}")
        print(f"capture_all_seconds: {result['capture']:.3f}")
        print(f"accept_request_queries: {result['queries']}")
        return 0 if result["ok"] else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _seed():
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bookings.models import Artisan, Slot, TicketType, Workshop
    from pending_orders.demo import authorised_order

    user = get_user_model().objects.create_user("bench@atelier.local", "bench@atelier.local", "bench-password")
    artisan = Artisan.objects.create(user=user, display_name="Bench", slug="bench", language="en")
    workshop = Workshop.objects.create(artisan=artisan, title="Bench", slug="bench", city="Paris", price_cents=5000)
    ticket_type = TicketType.objects.create(workshop=workshop, name="On request", price_cents=5000, requires_confirmation=True)
    starts = timezone.now() + timedelta(days=10)
    slot = Slot.objects.create(workshop=workshop, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=ORDERS)
    t0 = time.perf_counter()
    for n in range(ORDERS):
        authorised_order(slot=slot, ticket_type=ticket_type, customer_name=f"Customer {n}",
                         customer_email=f"customer{n}@example.com")
    print(f"# seeded {ORDERS} authorised orders in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return artisan, slot, ticket_type


def _start_worker(tmp):
    env = dict(os.environ)
    log = open(Path(tmp) / "worker.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_worker.py"), "--concurrency", os.environ.get("BENCH_CONCURRENCY", "4")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def _wait_for_worker(app, timeout=60):
    """Time the captures, not the worker's start: wait until it answers a ping."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the Celery worker did not start")


def _run(artisan, slot):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bookings.models import Order
    from bookings.states import OrderStatus

    client = Client()
    client.force_login(artisan.user)
    ids = list(Order.objects.filter(status=OrderStatus.AWAITING_CONFIRMATION).values_list("pk", flat=True))
    assert len(ids) == ORDERS, len(ids)
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        if profile:
            profile.enable()
        response = client.post("/backoffice/orders/pending/action/", {"action": "accept", "select_all": "1", "confirmed": "1"})
        request_seconds = time.perf_counter() - t0
        if profile:
            profile.disable()
    if profile:
        import pstats

        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        for q in queries.captured_queries:
            print(f"# {q['time']}s {q['sql'][:100]}", file=sys.stderr)
    if response.status_code != 302:
        print(f"# accept answered {response.status_code}", file=sys.stderr)
        return {"request": request_seconds, "capture": float("nan"), "queries": len(queries), "ok": False}
    deadline = t0 + TIMEOUT
    while time.perf_counter() < deadline:
        confirmed = Order.objects.filter(pk__in=ids, status=OrderStatus.CONFIRMED).count()
        failed = Order.objects.filter(pk__in=ids, status=OrderStatus.CAPTURE_FAILED).count()
        if confirmed + failed == ORDERS:
            break
        time.sleep(0.2)
    capture_seconds = time.perf_counter() - t0
    print(f"# confirmed {confirmed}, capture failed {failed}", file=sys.stderr)
    return {"request": request_seconds, "capture": capture_seconds, "queries": len(queries), "ok": confirmed == ORDERS}


if __name__ == "__main__":
    sys.exit(main())
