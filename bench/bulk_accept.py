"""Bulk accept of 500 pending orders on PostgreSQL, with a real Celery worker (dev gateway).

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bulk_accept.py

Makes its own database (`<name>_bench_bulk_accept`, dropped at the end), 500 confirm-first
orders authorised on the dev gateway through the real booking path, then:
- accept_request_seconds: the artisan's confirmed "Accept orders" POST through the Django
  test client (the view, the service, the commit, publishing the capture fan-out);
- capture_all_seconds: from that POST until a real `celery worker` process has captured and
  confirmed all 500 (tickets and confirmation emails queued);
- accept_request_queries: SQL queries the POST ran;
- capture_all_seconds_<N>ms: the same with the dev gateway answering in N ms
  (BENCH_GATEWAY_LATENCY_MS, 300: a real provider's round trip), captures on their own queue
  consumed by a worker with BENCH_CAPTURE_THREADS (32) threads, as in production;
- captures_duplicated: payments charged more than once (must be 0); emails_queued: the
  confirmation emails written for the accepted orders (must be BENCH_ORDERS).
With no REDIS_URL the broker is kombu's filesystem transport under a temporary folder.
"""

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ORDERS = int(os.environ.get("BENCH_ORDERS", "500"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "300"))
LATENCY_MS = int(os.environ.get("BENCH_GATEWAY_LATENCY_MS", "300"))
CAPTURE_THREADS = os.environ.get("BENCH_CAPTURE_THREADS", "32")


def main() -> int:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        print("bench/bulk_accept.py needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    db_name = base.rsplit("/", 1)[1].split("?")[0] + "_bench_bulk_accept"
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + db_name
    os.environ["ATELIER_TESTING"] = "false"
    os.environ["PAYMENTS_DEV_GATEWAY"] = "true"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
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
    workers = []
    try:
        import django

        django.setup()
        from django.conf import settings

        from config.celery import CAPTURE_TASKS, app

        # Queues of our own: no other worker eats these tasks, and we eat nobody's.
        os.environ["BENCH_QUEUE"] = f"bench-bulk-accept-{os.getpid()}"
        os.environ["BENCH_DIR"] = tmp
        app.conf.task_default_queue = os.environ["BENCH_QUEUE"]
        app.conf.task_routes = {
            name: {"queue": os.environ["BENCH_QUEUE"] + "-captures"} for name in CAPTURE_TASKS
        }
        settings.DEV_GATEWAY_LATENCY_MS = 0  # seeding authorises 500 payments: no wait here
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        artisan, slot, ticket_type = _seed()
        workers = _start_workers(tmp)
        _wait_for_workers(app, len(workers))
        captures = workers[1:]
        cpu_before = sum(_cpu_seconds(w.pid) for w in captures)
        result = _run(artisan, slot)
        # CPU the captures workers spent (robust to a loaded machine, unlike the wall clock):
        # with threads a worker is one process, so its CPU time is what the GIL serialises.
        cpu = sum(_cpu_seconds(w.pid) for w in captures) - cpu_before
        print(
            f"# captures worker CPU: {cpu:.2f}s ({cpu / ORDERS * 1000:.1f} ms per order,"
            f" {len(captures)} process(es)); load average"
            f" {Path('/proc/loadavg').read_text().split()[0]}",
            file=sys.stderr,
        )
        duplicated = _duplicated_captures(tmp)
        emails = _emails_queued(slot)
        print(f"accept_request_seconds: {result['request']:.3f}")
        print(f"capture_all_seconds_{LATENCY_MS}ms: {result['capture']:.3f}")
        print(f"accept_request_queries: {result['queries']}")
        print(f"captures_duplicated: {duplicated}")
        print(f"emails_queued: {emails}")
        return 0 if result["ok"] and duplicated == 0 and emails == ORDERS else 1
    finally:
        for worker in workers:
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

    user = get_user_model().objects.create_user(
        "bench@atelier.local", "bench@atelier.local", "bench-password"
    )
    artisan = Artisan.objects.create(user=user, display_name="Bench", slug="bench", language="en")
    workshop = Workshop.objects.create(
        artisan=artisan, title="Bench", slug="bench", city="Paris", price_cents=5000
    )
    ticket_type = TicketType.objects.create(
        workshop=workshop, name="On request", price_cents=5000, requires_confirmation=True
    )
    starts = timezone.now() + timedelta(days=10)
    slot = Slot.objects.create(
        workshop=workshop, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=ORDERS
    )
    t0 = time.perf_counter()
    for n in range(ORDERS):
        authorised_order(
            slot=slot,
            ticket_type=ticket_type,
            customer_name=f"Customer {n}",
            customer_email=f"customer{n}@example.com",
        )
    print(
        f"# seeded {ORDERS} authorised orders in {time.perf_counter() - t0:.1f}s", file=sys.stderr
    )
    return artisan, slot, ticket_type


def _start_workers(tmp):
    """The default worker (prefork, emails) and the captures worker (threads), as in production."""
    env = {**os.environ, "DEV_GATEWAY_LATENCY_MS": str(LATENCY_MS)}
    queue = os.environ["BENCH_QUEUE"]
    commands = {
        "worker": [
            "--concurrency",
            os.environ.get("BENCH_CONCURRENCY", "4"),
            "-n",
            f"default-{queue}@%h",
        ],
    }
    # BENCH_CAPTURE_PROCESSES (1, as in production): more captures workers, one interpreter
    # lock each, to try the model where CPU per capture rather than latency limits.
    for n in range(int(os.environ.get("BENCH_CAPTURE_PROCESSES", "1"))):
        commands[f"captures{n or ''}"] = [
            "-Q",
            f"{queue}-captures",
            "--pool=threads",
            "--concurrency",
            CAPTURE_THREADS,
            *os.environ.get("BENCH_CAPTURE_OPTIONS", "").split(),
            "-n",
            f"captures{n or ''}-{queue}@%h",
        ]
    processes = []
    for name, options in commands.items():
        log = open(Path(tmp) / f"{name}-worker.log", "w")  # noqa: SIM115 - closed with the process
        processes.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "_worker.py"), *options],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return processes


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_workers(app, count, timeout=60):
    """Time the captures, not the workers' start: wait until both answer a ping."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0) or []) >= count:
            return
    raise RuntimeError("the Celery workers did not start")


def _duplicated_captures(tmp) -> int:
    path = Path(tmp) / "captures.log"
    references = path.read_text().split() if path.exists() else []
    return len(references) - len(set(references))


def _emails_queued(slot) -> int:
    """Confirmation emails written (queued or sent) for the slot's confirmed orders."""
    from bookings.models import Order
    from bookings.states import OrderStatus
    from notifications.models import Notification

    keys = [
        f"order:{pk}:confirmed:email"
        for pk in Order.objects.filter(slot=slot, status=OrderStatus.CONFIRMED).values_list(
            "pk", flat=True
        )
    ]
    return Notification.objects.filter(idempotency_key__in=keys).count()


def _run(artisan, slot):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bookings.models import Order
    from bookings.states import OrderStatus

    client = Client()
    client.force_login(artisan.user)
    ids = list(
        Order.objects.filter(status=OrderStatus.AWAITING_CONFIRMATION).values_list("pk", flat=True)
    )
    assert len(ids) == ORDERS, len(ids)
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        if profile:
            profile.enable()
        response = client.post(
            "/backoffice/orders/pending/action/",
            {"action": "accept", "select_all": "1", "confirmed": "1"},
        )
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
        return {
            "request": request_seconds,
            "capture": float("nan"),
            "queries": len(queries),
            "ok": False,
        }
    deadline = t0 + TIMEOUT
    while time.perf_counter() < deadline:
        confirmed = Order.objects.filter(pk__in=ids, status=OrderStatus.CONFIRMED).count()
        failed = Order.objects.filter(pk__in=ids, status=OrderStatus.CAPTURE_FAILED).count()
        if confirmed + failed == ORDERS:
            break
        time.sleep(0.2)
    capture_seconds = time.perf_counter() - t0
    print(f"# confirmed {confirmed}, capture failed {failed}", file=sys.stderr)
    return {
        "request": request_seconds,
        "capture": capture_seconds,
        "queries": len(queries),
        "ok": confirmed == ORDERS,
    }


if __name__ == "__main__":
    sys.exit(main())
