"""Page benchmark: the workshop page and the back-office calendar against a trivial view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/pages.py

Creates its own PostgreSQL database (`<db>_bench_pages`, dropped and created again), loads
50 artisans, 200 workshops and 20,000 slots, serves the app with gunicorn on 127.0.0.1
(DEBUG off, static files by whitenoise), warms up, then loads each page for a fixed time
with a small asyncio HTTP client on this machine only. Prints one figure a line, `name: value`,
ending with `workshop_page_ratio` and `calendar_ratio` (page requests/s ÷ /healthz requests/s).
A page that is not there yet (404) prints `n/a` instead of failing.

gunicorn runs as in production, with config/gunicorn.py (WEB_CONCURRENCY processes × WEB_THREADS
threads of `gthread`); persistent database connections (CONN_MAX_AGE) as in settings.

Knobs (environment): BENCH_SECONDS (10), BENCH_CONCURRENCY (16), BENCH_ROUNDS (5: slices each page's time is cut
into, interleaved with the others), BENCH_CALENDAR_PATH (/backoffice/calendar/),
BENCH_KEEP_DATABASE (1: keep it, to profile).
"""

import asyncio
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP_SECONDS = 1.5
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
N_ARTISANS, N_WORKSHOPS, N_SLOTS = 50, 200, 20_000
CALENDAR_PATH = os.environ.get("BENCH_CALENDAR_PATH", "/backoffice/calendar/")


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# --- the database ---------------------------------------------------------------------------


def bench_database_url(url: str) -> tuple[str, str, str]:
    """(bench url, maintenance url, bench db name) from the project's DATABASE_URL."""
    parts = urllib.parse.urlsplit(url)
    name = (parts.path.lstrip("/") or "atelier") + "_bench_pages"
    bench = parts._replace(path="/" + name).geturl()
    maintenance = parts._replace(path="/postgres").geturl()
    return bench, maintenance, name


def recreate_database(maintenance_url: str, name: str, *, create: bool = True) -> None:
    import psycopg

    conninfo = maintenance_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def load_data() -> dict:
    """The demo data set; returns what the load needs (a workshop slug, a session cookie)."""
    import django
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.core.management import call_command

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections, transaction

    from bookings.models import Artisan, Slot, TicketType, Workshop

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    User = get_user_model()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"artisan{i}@bench.local",
                    email=f"artisan{i}@bench.local",
                    password="!",
                )
                for i in range(N_ARTISANS)
            ]
        )
        artisans = Artisan.objects.bulk_create(
            [
                Artisan(
                    user=user,
                    display_name=f"Atelier {i}",
                    slug=f"atelier-{i}",
                    language="fr" if i % 2 else "en",
                    bio="Artisan for twenty years, happy to share the craft.",
                )
                for i, user in enumerate(users)
            ]
        )
        description = "Centre the clay, open it, raise your first bowl. " * 6
        workshops = Workshop.objects.bulk_create(
            [
                Workshop(
                    artisan=artisans[i % N_ARTISANS],
                    title=f"Workshop {i}",
                    slug=f"workshop-{i}",
                    description=description,
                    practical_info="Aprons and tools are provided.",
                    city=["Paris", "Lyon", "Grasse", "Nantes"][i % 4],
                    address=f"{i} rue des Artisans",
                    price_cents=4500 + 100 * (i % 30),
                    duration_minutes=150,
                    default_capacity=8,
                    is_published=True,
                    privatisation_enabled=bool(i % 2),
                    private_min_capacity=2,
                    private_max_capacity=10,
                )
                for i in range(N_WORKSHOPS)
            ]
        )
        TicketType.objects.bulk_create(
            [TicketType(workshop=w, name="Adult", price_cents=w.price_cents) for w in workshops]
        )
        per_workshop = N_SLOTS // N_WORKSHOPS
        start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
            days=1
        )
        slots = []
        for w in workshops:
            for k in range(per_workshop):
                starts = start + timedelta(days=k // 2, hours=6 * (k % 2))
                slots.append(
                    Slot(
                        workshop=w,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=150),
                        capacity=8,
                        seats_taken=(k * 3) % 9,
                    )
                )
        Slot.objects.bulk_create(slots, batch_size=2000)
    # The artisan of the first workshop, signed in by a session row (its cookie is sent).
    user = users[0]
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    return {"workshop_slug": workshops[0].slug, "session_key": session.session_key}


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "config/gunicorn.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=5)


# --- the load client ------------------------------------------------------------------------


async def fetch(port: int, request: bytes) -> int:
    """One GET on a fresh connection (`Connection: close`, as sync workers would); returns the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        while await reader.read(65536):
            pass
        return int(status_line.split()[1])
    finally:
        writer.close()


def make_request(path: str, cookie: str = "") -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "User-Agent: atelier-bench",
        "Accept-Language: en",
        "Connection: close",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def load(port: int, request: bytes, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                status = await fetch(port, request)
            except (OSError, ValueError, IndexError):
                status = 0
            if status == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000
            if latencies
            else float("nan")
        )

    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors,
        "latencies": latencies,
        "elapsed": elapsed,
    }


def probe(port: int, path: str, cookie: str = "") -> int:
    """The status of one GET; 0 when the connection failed."""
    try:
        return asyncio.run(fetch(port, make_request(path, cookie)))
    except (OSError, ValueError, IndexError):
        return 0


def measure(port: int, targets: list[tuple[str, str, str]]) -> dict[str, dict]:
    """Load each (name, path, cookie) for SECONDS in all, in ROUNDS interleaved slices
    (healthz, page, calendar, healthz, …): a change of load on a shared machine then weighs
    on every figure alike, so the ratios hold even when the absolute figures move."""
    requests = {name: make_request(path, cookie) for name, path, cookie in targets}
    for request in requests.values():
        asyncio.run(load(port, request, WARMUP_SECONDS))
    totals = {name: {"latencies": [], "elapsed": 0.0, "errors": 0} for name in requests}
    for _ in range(ROUNDS):
        for name, request in requests.items():
            part = asyncio.run(load(port, request, SECONDS / ROUNDS))
            totals[name]["latencies"] += part["latencies"]
            totals[name]["elapsed"] += part["elapsed"]
            totals[name]["errors"] += part["errors"]
    results = {}
    for name, total in totals.items():
        latencies = sorted(total["latencies"])

        def pct(p, latencies=latencies):
            return (
                latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000
                if latencies
                else float("nan")
            )

        results[name] = {"rps": len(latencies) / total["elapsed"], "errors": total["errors"]}
        print(f"{name}_rps: {results[name]['rps']:.1f}")
        print(f"{name}_p50_ms: {pct(0.50):.2f}")
        print(f"{name}_p99_ms: {pct(0.99):.2f}")
        print(f"{name}_errors: {total['errors']}", flush=True)
    return results


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/pages.py needs DATABASE_URL on PostgreSQL", file=sys.stderr)
        return 2
    bench_url, maintenance_url, name = bench_database_url(url)
    os.environ.update(
        DATABASE_URL=bench_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        ATELIER_TESTING="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Production settings, but on the local gateway and a throwaway key (the start-up checks).
        PAYMENTS_DEV_GATEWAY="true",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )
    started = time.monotonic()
    log(
        f"database {name}: creating and loading {N_ARTISANS} artisans, {N_WORKSHOPS} workshops, {N_SLOTS} slots"
    )
    recreate_database(maintenance_url, name)
    try:
        data = load_data()
        log(f"data loaded in {time.monotonic() - started:.1f} s; {CONCURRENCY} clients")
        port = free_port()
        server = start_server(port, dict(os.environ))
        try:
            cookie = f"sessionid={data['session_key']}"
            workshop_path = f"/workshops/{data['workshop_slug']}/"
            if probe(port, workshop_path) != 200:
                raise SystemExit(f"{workshop_path} does not answer 200")
            server_settings = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
            print(f"workers: {server_settings['workers']}")
            print(f"threads: {server_settings['threads']}")
            print(
                f"loadavg: {Path('/proc/loadavg').read_text().split()[0] if Path('/proc/loadavg').exists() else 'n/a'}"
            )
            print(f"concurrency: {CONCURRENCY}")
            targets = [("healthz", "/healthz", ""), ("workshop_page", workshop_path, "")]
            calendar_status = probe(port, CALENDAR_PATH, cookie)
            if calendar_status == 200:
                targets.append(("calendar", CALENDAR_PATH, cookie))
            else:
                log(f"{CALENDAR_PATH} answered {calendar_status}: not measured")
            results = measure(port, targets)
            health, page, calendar = (
                results["healthz"],
                results["workshop_page"],
                results.get("calendar"),
            )
            print(
                f"loadavg_end: {Path('/proc/loadavg').read_text().split()[0] if Path('/proc/loadavg').exists() else 'n/a'}"
            )
            print(f"workshop_page_ratio: {page['rps'] / health['rps']:.2f}")
            print(
                f"calendar_ratio: {calendar['rps'] / health['rps']:.2f}"
                if calendar
                else "calendar_ratio: n/a"
            )
        finally:
            stop_server(server)
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            recreate_database(maintenance_url, name, create=False)
        log(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
