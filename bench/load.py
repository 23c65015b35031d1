"""A mixed load on gunicorn + PostgreSQL + Redis + a real Celery worker, then a consistency check.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/load.py

Makes its own database (`<name>_bench_load`, dropped and re-created), seeds LOAD_ARTISANS (3)
artisans with a workshop each (dated slots of 8 seats, an instant and a confirm-first ticket,
privatisation on), starts gunicorn (gthread, LOAD_GUNICORN_WORKERS=2 × 4 threads) and a
`celery worker` (prefork, 2) on a queue of its own in Redis database LOAD_REDIS_DB (11),
then for LOAD_SECONDS (60):
- LOAD_CUSTOMERS (12) customers browse workshop pages, book and pay on the dev gateway
  (instant or confirm-first tickets), send privatisation requests;
- each artisan (signed in by session cookie) answers pending requests and bulk-accepts
  pending orders (the captures run in the worker).
Then it lets the worker drain (LOAD_DRAIN_SECONDS, 60) and prints, one figure a line:
`<action>_per_s`, `<action>_p50_ms`, `<action>_p99_ms` (an action is a whole flow, e.g. a
booking from form to confirmation page), `errors` (5xx or exception; must be 0),
`oversold_slots`, `paid_orders_without_tickets`, `duplicate_notifications` (a key sent twice),
`unsent_notifications`. Exits 1 if a consistency figure or `errors` is not 0.
"""

import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("LOAD_SECONDS", 60))
CUSTOMERS = int(os.environ.get("LOAD_CUSTOMERS", 12))
ARTISANS = int(os.environ.get("LOAD_ARTISANS", 3))
SLOTS = int(os.environ.get("LOAD_SLOTS", 40))
DRAIN_SECONDS = float(os.environ.get("LOAD_DRAIN_SECONDS", 60))
GUNICORN_WORKERS = os.environ.get("LOAD_GUNICORN_WORKERS", "2")
REDIS_DB = os.environ.get("LOAD_REDIS_DB", "11")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET_FIELD = re.compile(r'name="(qty_\d+)"')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs
    )


def shell(env, code: str) -> str:
    out = manage(env, "shell", "-v", "0", "-c", code, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


SEED = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from bookings.models import Artisan, Slot, TicketType, Workshop
out = []
start = (timezone.now() + timedelta(days=5)).replace(hour=8, minute=0, second=0, microsecond=0)
for a in range({artisans}):
    user = get_user_model().objects.create_user(f"artisan{{a}}@load.local", f"artisan{{a}}@load.local", "x")
    artisan = Artisan.objects.create(user=user, display_name=f"Load artisan {{a}}", slug=f"load-artisan-{{a}}")
    workshop = Workshop.objects.create(artisan=artisan, title=f"Load workshop {{a}}", slug=f"load-{{a}}", city="Paris",
        price_cents=5000, is_published=True, privatisation_enabled=True, private_min_capacity=2, private_max_capacity=8)
    TicketType.objects.create(workshop=workshop, name="Adult", price_cents=5000)
    TicketType.objects.create(workshop=workshop, name="Adult on request", price_cents=6000, requires_confirmation=True)
    # Two public sessions a day (8:00, 17:00): private requests ask for 12:00 or 14:00.
    Slot.objects.bulk_create(Slot(workshop=workshop, starts_at=start + timedelta(days=i // 2, hours=9 * (i % 2)),
        ends_at=start + timedelta(days=i // 2, hours=9 * (i % 2) + 2), capacity=8) for i in range({slots}))
    client = Client()
    client.force_login(user)
    out.append({{"slug": workshop.slug, "session": client.cookies["sessionid"].value,
                "slots": list(workshop.slots.order_by("starts_at").values_list("pk", flat=True))}})
print(json.dumps(out))
"""

CHECK = """
import json
from django.db.models import Count, F, Q, Sum
from bookings.models import Order, Slot
from notifications.models import Notification
from privatisation.models import PrivatisationRequest
held = Slot.objects.annotate(held=Sum("orders__seats", filter=Q(orders__holds_seats=True)))
oversold = sum(1 for s in held if s.seats_taken > s.capacity or (s.held or 0) > s.capacity or (s.held or 0) != s.seats_taken)
confirmed = Order.objects.filter(status="confirmed").annotate(n=Count("tickets"))
print(json.dumps({
    "oversold_slots": oversold,
    "paid_orders_without_tickets": confirmed.exclude(n=F("seats")).count(),
    "unsent_notifications": Notification.objects.exclude(status="sent").count(),
    "notifications": Notification.objects.count(),
    "capturing_orders": Order.objects.filter(status="capturing").count(),
    "orders": dict(Order.objects.values_list("status").annotate(n=Count("pk"))),
    "requests": dict(PrivatisationRequest.objects.values_list("status").annotate(n=Count("pk"))),
}))
"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings = defaultdict(list)
        self.outcomes = defaultdict(Counter)
        self.errors = 0
        self.error_samples = []

    def record(self, action: str, seconds: float, outcome: str = "ok") -> None:
        with self.lock:
            self.timings[action].append(seconds)
            self.outcomes[action][outcome] += 1

    def error(self, action: str, detail: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{action}: {detail}")


class ServerError(Exception):
    pass


class Browser:
    """A requests session that raises on a 5xx and follows redirects by hand."""

    def __init__(self, base: str, session_cookie: str = ""):
        import requests

        self.base = base
        self.http = requests.Session()
        if session_cookie:
            self.http.cookies.set("sessionid", session_cookie, domain="127.0.0.1", path="/")

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path, **kwargs):
        return self._check(
            self.http.get(self.url(path), timeout=30, allow_redirects=False, **kwargs)
        )

    def post(self, path, data, **kwargs):
        return self._check(
            self.http.post(self.url(path), data=data, timeout=30, allow_redirects=False, **kwargs)
        )

    def follow(self, response):
        while response.status_code in (301, 302, 303):
            response = self.get(response.headers["Location"])
        return response

    @staticmethod
    def _check(response):
        if response.status_code >= 500:
            raise ServerError(f"{response.status_code} on {response.request.method} {response.url}")
        return response


def csrf(page) -> str:
    match = CSRF.search(page.text)
    if not match:
        raise ServerError(f"no CSRF token on {page.url} ({page.status_code})")
    return match.group(1)


# --- what customers do --------------------------------------------------------------------------


def browse(b: Browser, rng, workshops):
    b.get("/")
    page = b.get(f"/workshops/{rng.choice(workshops)['slug']}/")
    if page.status_code != 200:
        raise ServerError(f"workshop page answered {page.status_code}")
    return "ok"


def book(b: Browser, rng, workshops, n):
    workshop = rng.choice(workshops)
    slot = rng.choice(workshop["slots"][:6])  # the first dates: customers compete for seats
    form = b.get(f"/workshops/{workshop['slug']}/book/{slot}/")
    if form.status_code != 200:
        return "full"
    fields = TICKET_FIELD.findall(form.text)
    if not fields:
        return "full"
    field = rng.choice(fields)
    response = b.post(
        f"/workshops/{workshop['slug']}/book/{slot}/",
        {
            "csrfmiddlewaretoken": csrf(form),
            field: str(rng.choice((1, 1, 2))),
            "customer_name": f"Customer {n}",
            "customer_email": f"c{n}@load.example",
            "customer_phone": "+33612345678",
        },
    )
    if response.status_code in (400, 429):
        return "refused"
    checkout = b.get(response.headers["Location"])
    back = b.post(checkout.url, {"csrfmiddlewaretoken": csrf(checkout), "action": "pay"})
    page = b.follow(back)
    if page.status_code != 200 or "status-" not in page.text:
        raise ServerError(f"order page answered {page.status_code}")
    return "booked"


def privatise(b: Browser, rng, workshops, n):
    workshop = rng.choice(workshops)
    path = f"/workshops/{workshop['slug']}/privatise/"
    form = b.get(path)
    day = datetime.now(UTC).date() + timedelta(days=rng.randint(8, 60))
    response = b.post(
        path,
        {
            "csrfmiddlewaretoken": csrf(form),
            "kind": "individual",
            "contact_name": f"Private {n}",
            "email": f"p{n}-{rng.randrange(10**9)}@load.example",
            "phone": "06 12 34 56 78",
            "participants": "4",
            "message": "A birthday <b>party</b>!",
            "customer_timezone": "Europe/Paris",
            "slots-TOTAL_FORMS": "1",
            "slots-INITIAL_FORMS": "0",
            "slots-MIN_NUM_FORMS": "0",
            "slots-MAX_NUM_FORMS": "10",
            "slots-0-date": str(day),
            "slots-0-time": rng.choice(("12:00", "14:00")),
        },
    )
    if response.status_code != 302:
        return "refused"
    b.follow(response)
    return "sent"


def customer(base, workshops, stats, stop_at, seed):
    rng = random.Random(seed)
    b = Browser(base)
    n = 0
    while time.monotonic() < stop_at:
        action = rng.choices(("browse", "book", "privatise"), weights=(6, 3, 1))[0]
        n += 1
        began = time.perf_counter()
        try:
            if action == "browse":
                outcome = browse(b, rng, workshops)
            elif action == "book":
                outcome = book(b, rng, workshops, seed * 100000 + n)
            else:
                outcome = privatise(b, rng, workshops, seed * 100000 + n)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats.error(action, repr(exc)[:300])
            continue
        stats.record(action, time.perf_counter() - began, outcome)


# --- what artisans do ---------------------------------------------------------------------------

REQUEST_LINK = re.compile(r'href="/backoffice/privatisation/(\d+)/"')
ACCEPT_BOX = re.compile(r'name="accept" value="(\d+)"')
ORDER_BOX = re.compile(r'name="order" value="(\d+)"')


def answer(b: Browser, rng):
    listing = b.get("/backoffice/privatisation/")
    ids = REQUEST_LINK.findall(listing.text)
    if not ids:
        return "none"
    path = f"/backoffice/privatisation/{rng.choice(ids[:10])}/"
    page = b.get(path)
    boxes = ACCEPT_BOX.findall(page.text)
    if not boxes or 'name="decision"' not in page.text:
        return "none"
    data = {
        "csrfmiddlewaretoken": csrf(page),
        "action": "answer",
        "message": "Happy to host you.",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
        "confirm_removal": "on",
    }
    refuse = rng.random() >= 0.8
    if refuse:
        data.update(decision="refuse", message="Sorry, not this time.")
    else:
        data.update(decision="answer", accept=boxes[:1])
    response = b.post(path, data)
    if response.status_code != 302:
        return "not_saved"  # a form error (the slot became busy meanwhile): shown to the artisan
    b.follow(response)
    return "refused" if refuse else "answered"


def bulk_accept(b: Browser, rng):
    listing = b.get("/backoffice/orders/pending/")
    ids = ORDER_BOX.findall(listing.text)
    if not ids:
        return "none"
    token = csrf(listing)
    ids = ids[:20]
    step = b.post(
        "/backoffice/orders/pending/action/",
        {"csrfmiddlewaretoken": token, "action": "accept", "order": ids},
    )
    done = b.post(
        "/backoffice/orders/pending/action/",
        {
            "csrfmiddlewaretoken": csrf(step),
            "action": "accept",
            "order": ids,
            "confirmed": "1",
            "message": "See you!",
        },
    )
    if done.status_code != 302:
        return "not_saved"
    b.follow(done)
    return "accepted"


def artisan(base, data, stats, stop_at, seed):
    rng = random.Random(seed)
    b = Browser(base, data["session"])
    while time.monotonic() < stop_at:
        action = rng.choice(("answer", "bulk_accept"))
        began = time.perf_counter()
        try:
            outcome = answer(b, rng) if action == "answer" else bulk_accept(b, rng)
        except Exception as exc:  # noqa: BLE001
            stats.error(action, repr(exc)[:300])
            continue
        if outcome != "none":
            stats.record(action, time.perf_counter() - began, outcome)
        time.sleep(rng.uniform(0.3, 1.0))  # an artisan reads before clicking


# --- the run ------------------------------------------------------------------------------------


def percentile(values, pct):
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]
        if ordered
        else 0.0
    )


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        log("bench/load.py needs DATABASE_URL on PostgreSQL (and REDIS_URL)")
        return 2
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        log("bench/load.py skipped: it needs REDIS_URL (the broker a real worker reads)")
        return 0
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "atelier") + "_bench_load"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    bench_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + name)),
        "REDIS_URL": redis_url.rsplit("/", 1)[0] + "/" + REDIS_DB,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "ATELIER_TESTING": "false",
        "PAYMENTS_DEV_GATEWAY": "true",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATE_LIMIT_PUBLIC_FORMS": "1000000/s",
        "STRIPE_SECRET_KEY": "",
        "TWILIO_ACCOUNT_SID": "",
        "ANYMAIL_ESP": "",
        "BENCH_QUEUE": f"bench-load-{os.getpid()}",
        "BENCH_DIR": str(bench_dir),
        "PYTHONPATH": str(ROOT),
    }
    log(f"database {name}: migrating and seeding")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")  # served by whitenoise, as in production
    workshops = json.loads(shell(env, SEED.format(artisans=ARTISANS, slots=SLOTS)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = open(bench_dir / "gunicorn.log", "wb")
    worker_log = open(bench_dir / "worker.log", "wb")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench._load_app:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            GUNICORN_WORKERS,
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bench._load_app",
            "worker",
            "-Q",
            env["BENCH_QUEUE"],
            "--pool=prefork",
            "--concurrency",
            "2",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{env['BENCH_QUEUE']}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    stats = Stats()
    try:
        import requests

        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                log((bench_dir / "gunicorn.log").read_text()[-2000:])
                return 1
            time.sleep(0.2)
        log(
            f"gunicorn on {base}; {CUSTOMERS} customers and {ARTISANS} artisans for {SECONDS:.0f} s"
        )
        started = time.monotonic()
        stop_at = started + SECONDS
        threads = [
            threading.Thread(target=customer, args=(base, workshops, stats, stop_at, n))
            for n in range(CUSTOMERS)
        ]
        threads += [
            threading.Thread(target=artisan, args=(base, w, stats, stop_at, 1000 + i))
            for i, w in enumerate(workshops)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 120)
        elapsed = time.monotonic() - started
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log("letting the worker drain")
        drain_until = time.monotonic() + DRAIN_SECONDS
        while True:
            check = json.loads(shell(env, CHECK))
            if (
                check["unsent_notifications"] == 0 and check["capturing_orders"] == 0
            ) or time.monotonic() > drain_until:
                break
            time.sleep(2)
    finally:
        for process in (server, worker):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
    sent = (
        Counter((bench_dir / "sent.log").read_text().split())
        if (bench_dir / "sent.log").exists()
        else Counter()
    )
    for action in ("browse", "book", "privatise", "answer", "bulk_accept"):
        values = stats.timings.get(action, [])
        print(f"{action}_per_s: {len(values) / elapsed:.2f}")
        print(f"{action}_p50_ms: {percentile(values, 50) * 1000:.0f}")
        print(f"{action}_p99_ms: {percentile(values, 99) * 1000:.0f}")
    print(f"seconds: {elapsed:.1f}")
    outcomes = {action: dict(counts) for action, counts in sorted(stats.outcomes.items())}
    print(f"outcomes: {json.dumps(outcomes, sort_keys=True)}")
    print(f"orders_by_status: {json.dumps(check['orders'], sort_keys=True)}")
    print(f"requests_by_status: {json.dumps(check['requests'], sort_keys=True)}")
    print(f"notifications: {check['notifications']}")
    print(f"errors: {stats.errors}")
    print(f"oversold_slots: {check['oversold_slots']}")
    print(f"paid_orders_without_tickets: {check['paid_orders_without_tickets']}")
    print(f"duplicate_notifications: {sum(1 for n in sent.values() if n > 1)}")
    print(f"unsent_notifications: {check['unsent_notifications']}")
    for sample in stats.error_samples:
        log(f"error: {sample}")
    bad = (
        stats.errors
        or check["oversold_slots"]
        or check["paid_orders_without_tickets"]
        or any(n > 1 for n in sent.values())
    )
    return 1 if bad or check["unsent_notifications"] else 0


if __name__ == "__main__":
    sys.exit(main())
