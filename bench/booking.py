"""Booking under load: N customers book and pay through the HTTP endpoints for D seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier python bench/booking.py

Makes its own database (`<name>_bench_booking`, dropped and re-created), loads a workshop
with slots of 8 seats, starts gunicorn on 127.0.0.1 with the dev payment gateway, and lets
BENCH_CUSTOMERS (50) customers loop for BENCH_SECONDS (10): open the booking form, book 1-2
seats on a random slot still open, pay on the dev checkout page, land on the confirmed order.
Then it checks in the database that no slot holds more seats than its capacity. gunicorn runs
with production's settings (config/gunicorn.py: WEB_CONCURRENCY processes × WEB_THREADS
threads); DEV_GATEWAY_LATENCY_MS makes the dev gateway answer as slowly as a real provider.

Prints one figure a line: orders_per_s, p99_ms (one HTTP request), booking_p99_ms (a whole
booking, form to confirmed order), server_cpu_ms_per_booking and postgres_cpu_ms_per_booking
(the CPU gunicorn and PostgreSQL spent while the customers ran, per confirmed booking, the
sold-out answers on the way included: where the two cores went), oversold (must be 0), and a
few counts.
"""

import asyncio
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _http  # noqa: E402 - bench/_http.py, the customers' HTTP client

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 50))
SECONDS = float(os.environ.get("BENCH_SECONDS", 10))
SLOTS = int(os.environ.get("BENCH_SLOTS", 150))
CAPACITY = 8
LOG = tempfile.TemporaryFile()  # the server's output (shown if it fails to start)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/booking.py needs DATABASE_URL pointing at PostgreSQL")
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "atelier") + "_bench_booking"
    return urlunsplit(parts._replace(path="/" + name)), name


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    parts = urlsplit(admin_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REDIS_DB = os.environ.get("BENCH_REDIS_DB", "13")


def bench_redis_url() -> str:
    """Redis as in production (the shared page cache, the broker), in a database of the bench's
    own (BENCH_REDIS_DB, emptied first): REDIS_URL's server, else 127.0.0.1:6379. "" when no
    Redis answers."""
    import redis

    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    url = urlunsplit(parts._replace(path="/" + REDIS_DB))
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return ""
    return url


def server_env(db_url: str) -> dict:
    """The app's environment as in production (DEBUG off, whitenoise, Redis for the cache and
    the broker; no worker runs, so no email goes out) on the dev payment gateway. Without Redis,
    the test adapters: a cache per process and an in-memory broker."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "STRIPE_SECRET_KEY")}
    redis_url = bench_redis_url()
    env.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        ATELIER_TESTING="false" if redis_url else "1",
        REDIS_URL=redis_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PAYMENTS_DEV_GATEWAY="true",
        RATE_LIMIT_PUBLIC_FORMS="1000000/s",
        LOG_LEVEL="WARNING",
        STRIPE_SECRET_KEY="",
    )
    if not redis_url:
        print("# no Redis answers: a cache per process, an in-memory broker", file=sys.stderr)
    return env


def prepare(env: dict) -> None:
    """Migrate the bench database and collect the static files (whitenoise's manifest)."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, env=env, check=True
        )


def setup_data(env: dict) -> list[int]:
    prepare(env)
    code = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.models import Artisan, Slot, TicketType, Workshop
user = get_user_model().objects.create_user("bench@atelier.local", "bench@atelier.local", "x")
artisan = Artisan.objects.create(user=user, display_name="Bench pottery", slug="bench-pottery")
workshop = Workshop.objects.create(artisan=artisan, title="Bench wheel throwing", slug="bench-wheel",
    city="Paris", price_cents=5000, is_published=True)
TicketType.objects.create(workshop=workshop, name="Adult", price_cents=5000)
start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
slots = Slot.objects.bulk_create(Slot(workshop=workshop, starts_at=start + timedelta(hours=3 * i),
    ends_at=start + timedelta(hours=3 * i, minutes=120), capacity={CAPACITY}) for i in range({SLOTS}))
print(workshop.ticket_types.get().pk, *[s.pk for s in Slot.objects.order_by("pk")])
"""
    out = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    return [int(x) for x in out]


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "config/gunicorn.py",  # as in production (WEB_CONCURRENCY, WEB_THREADS)
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=LOG,
        stderr=subprocess.STDOUT,
    )
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    LOG.seek(0)
    sys.exit("gunicorn did not start:\n" + LOG.read().decode()[-2000:])


class Stats:
    def __init__(self):
        self.requests: list[float] = []
        self.bookings: list[float] = []
        self.confirmed = 0
        self.sold_out = 0
        self.errors = 0


async def customer(
    base: str,
    ticket_type: int,
    slots: list[int],
    full: set,
    stats: Stats,
    stop_at: float,
    seed: int,
):
    rng = random.Random(seed)
    session = _http.Session(timeout=30)
    timings: list[float] = []

    async def call(method, url, **kwargs):
        started = time.perf_counter()
        response = await session.request(method, url, **kwargs)
        timings.append(time.perf_counter() - started)
        return response

    while time.monotonic() < stop_at:
        open_slots = [s for s in slots if s not in full]
        if not open_slots:
            break
        slot = rng.choice(open_slots[:5])  # the first open slots: customers compete for seats
        began = time.perf_counter()
        try:
            form = await call("GET", f"{base}/workshops/bench-wheel/book/{slot}/")
            if form.status_code == 404:
                full.add(slot)
                continue
            if "sold out" in form.text and 'name="customer_name"' not in form.text:
                stats.sold_out += 1  # a full session's page says so, without a form
                full.add(slot)
                continue
            token = CSRF.search(form.text).group(1)
            response = await call(
                "POST",
                f"{base}/workshops/bench-wheel/book/{slot}/",
                data={
                    "csrfmiddlewaretoken": token,
                    f"qty_{ticket_type}": str(rng.choice((1, 1, 2))),
                    "customer_name": f"Customer {seed}",
                    "customer_email": f"c{seed}@example.com",
                    "customer_phone": "+33612345678",
                },
                headers={"Referer": f"{base}/workshops/bench-wheel/book/{slot}/"},
            )
            if response.status_code == 400:
                if "sold out" in response.text or "left for this session" in response.text:
                    stats.sold_out += 1
                    if "sold out" in response.text:
                        full.add(slot)
                    continue
                raise RuntimeError(f"booking refused: {response.status_code}")
            pay_url = absolute(base, response.headers["Location"])
            page = await call("GET", pay_url)
            token = CSRF.search(page.text).group(1)
            back = await call(
                "POST",
                pay_url,
                data={"csrfmiddlewaretoken": token, "action": "pay"},
                headers={"Referer": pay_url},
            )
            order_return = await call("GET", absolute(base, back.headers["Location"]))
            order_page = await call("GET", absolute(base, order_return.headers["Location"]))
            if order_page.status_code != 200 or "status-ok" not in order_page.text:
                raise RuntimeError("order not confirmed")
            stats.confirmed += 1
            stats.bookings.append(time.perf_counter() - began)
        except Exception:  # noqa: BLE001 - counted and reported
            stats.errors += 1
    stats.requests.extend(timings)


def absolute(base: str, location: str) -> str:
    return base + location if location.startswith("/") else location


def check_database(env: dict) -> dict:
    code = """
from django.db.models import Sum, Q
from bookings.models import Slot, Order
over = 0
mismatch = 0
for slot in Slot.objects.annotate(
        held=Sum("orders__seats", filter=Q(orders__holds_seats=True)),
        confirmed=Sum("orders__seats", filter=Q(orders__status="confirmed"))):
    if slot.seats_taken > slot.capacity or (slot.confirmed or 0) > slot.capacity:
        over += 1
    if (slot.held or 0) != slot.seats_taken:
        mismatch += 1
print(over, mismatch, Order.objects.filter(status="confirmed").count())
"""
    out = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    return {
        "oversold": int(out[0]),
        "seat_count_mismatch": int(out[1]),
        "confirmed_in_db": int(out[2]),
    }


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system, all threads) the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)": field 3 onwards
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _server_pids(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [server.pid, *map(int, children.read_text().split())] if children.exists() else []


def _postgres_pids(env: dict) -> list[int]:
    """The PostgreSQL backends serving the bench's database (this machine's)."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def run_customers(
    env: dict,
    port: int,
    customer,
    args_of,
    *,
    count: int,
    join_timeout: float,
    cpu: dict | None = None,
):
    """Start the app server, run `count` customers at once (coroutines of bench/_http.py:
    `customer(base, *args_of(started), n)`, `started` being when they start), wait for them,
    stop the server. Returns the seconds taken. With `cpu`, fills in the CPU seconds gunicorn
    ("server") and PostgreSQL's backends ("postgres") spent while the customers ran (Linux)."""
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"

    async def everyone(args):
        await asyncio.wait_for(
            asyncio.gather(*(customer(base, *args, n) for n in range(count))), join_timeout
        )

    try:
        measure = cpu is not None and Path("/proc/self/stat").exists()
        if measure:
            backends = _postgres_pids(env)
            before = _cpu_seconds(_server_pids(server)), _cpu_seconds(backends)
        started = time.monotonic()
        try:
            asyncio.run(everyone(args_of(started)))
        except TimeoutError:
            print(f"# customers still running after {join_timeout} s", file=sys.stderr)
        elapsed = time.monotonic() - started
        if measure:
            # Backends opened during the run count whole; those of the start, from then on.
            backends = _postgres_pids(env)
            cpu["server"] = _cpu_seconds(_server_pids(server)) - before[0]
            cpu["postgres"] = _cpu_seconds(backends) - before[1]
        return elapsed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if env.get("REDIS_URL"):  # the tasks no worker took, the cached pages
            import redis

            redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    db_url, name = bench_database_url()
    recreate_database(os.environ["DATABASE_URL"], name)
    env = server_env(db_url)
    ticket_type, *slots = setup_data(env)
    port = free_port()
    stats = Stats()
    full: set[int] = set()
    cpu: dict = {}
    elapsed = run_customers(
        env,
        port,
        customer,
        lambda started: (ticket_type, slots, full, stats, started + SECONDS),
        count=CUSTOMERS,
        join_timeout=SECONDS + 60,
        cpu=cpu,
    )
    db = check_database(env)
    print(f"customers: {CUSTOMERS}")
    print(f"seconds: {elapsed:.1f}")
    print(f"orders_per_s: {stats.confirmed / elapsed:.1f}")
    print(f"p99_ms: {percentile(stats.requests, 99) * 1000:.0f}")
    print(f"p50_ms: {(statistics.median(stats.requests) if stats.requests else 0) * 1000:.0f}")
    print(f"booking_p99_ms: {percentile(stats.bookings, 99) * 1000:.0f}")
    if cpu and stats.confirmed:  # where the cores went, per booking
        print(f"server_cpu_ms_per_booking: {cpu['server'] / stats.confirmed * 1000:.1f}")
        print(f"postgres_cpu_ms_per_booking: {cpu['postgres'] / stats.confirmed * 1000:.1f}")
    print(f"confirmed: {stats.confirmed}")
    print(f"confirmed_in_db: {db['confirmed_in_db']}")
    print(f"sold_out_answers: {stats.sold_out}")
    print(f"errors: {stats.errors}")
    print(f"seat_count_mismatch: {db['seat_count_mismatch']}")
    print(f"oversold: {db['oversold']}")
    if db["oversold"] or db["seat_count_mismatch"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
