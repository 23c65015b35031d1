"""Flash sale: 200 customers at once for one slot of 20 seats, through HTTP (gunicorn).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier python bench/flash_sale.py

Same server and data set-up as bench/booking.py (its own database `<name>_bench_booking`,
gunicorn as in production, the dev payment gateway) but one slot of FLASH_SEATS (20) and
FLASH_CUSTOMERS (200) customers released together (coroutines started at once): each opens the booking form,
books one seat, and either pays and lands on the confirmed order or is told the session is
sold out (on the form or on its POST). Prints:
- flash_sold_out_p99_ms: from a customer's first request to the "sold out" answer (p99);
- flash_floor_p99_ms: the same crowd asking /healthz twice instead (p99): the least two Django
  answers cost on this machine, under which no sold-out answer can come;
- flash_booking_p99_ms: form to confirmed order, for those who got a seat;
- flash_server_cpu_ms, flash_floor_server_cpu_ms: the CPU gunicorn spent on the sale and on
  the healthz crowd (Linux);
- flash_oversold: seats confirmed beyond capacity (must be 0); flash_errors (must be 0).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking  # noqa: E402 - the server and data helpers of bench/booking.py

CUSTOMERS = int(os.environ.get("FLASH_CUSTOMERS", 200))
SEATS = int(os.environ.get("FLASH_SEATS", 20))
SOLD_OUT = ("sold out", "left for this session")


async def customer(base, ticket_type, slot, results, n):
    session = booking._http.Session()
    began = time.perf_counter()
    try:
        form = await session.get(f"{base}/workshops/flash-wheel/book/{slot}/")
        if form.status_code == 404 or (
            form.status_code == 200 and "csrfmiddlewaretoken" not in form.text
        ):
            results.append(("sold_out", time.perf_counter() - began))
            return
        if (
            form.status_code == 200
            and any(s in form.text for s in SOLD_OUT)
            and 'name="customer_name"' not in form.text
        ):
            results.append(("sold_out", time.perf_counter() - began))
            return
        token = booking.CSRF.search(form.text).group(1)
        response = await session.post(
            f"{base}/workshops/flash-wheel/book/{slot}/",
            data={
                "csrfmiddlewaretoken": token,
                f"qty_{ticket_type}": "1",
                "customer_name": f"Customer {n}",
                "customer_email": f"c{n}@example.com",
                "customer_phone": "+33612345678",
            },
            headers={"Referer": f"{base}/workshops/flash-wheel/book/{slot}/"},
        )
        if response.status_code == 400 and any(s in response.text for s in SOLD_OUT):
            results.append(("sold_out", time.perf_counter() - began))
            return
        if response.status_code != 302:
            raise RuntimeError(f"booking answered {response.status_code}")
        pay_url = booking.absolute(base, response.headers["Location"])
        page = await session.get(pay_url)
        token = booking.CSRF.search(page.text).group(1)
        back = await session.post(
            pay_url,
            data={"csrfmiddlewaretoken": token, "action": "pay"},
            headers={"Referer": pay_url},
        )
        order_return = await session.get(booking.absolute(base, back.headers["Location"]))
        order_page = await session.get(booking.absolute(base, order_return.headers["Location"]))
        if order_page.status_code != 200 or "status-ok" not in order_page.text:
            raise RuntimeError("order not confirmed")
        results.append(("booked", time.perf_counter() - began))
    except Exception as exc:  # noqa: BLE001 - counted and reported
        print(f"# customer {n}: {exc!r}", file=sys.stderr)
        results.append(("error", time.perf_counter() - began))


async def floor_customer(base, results, n):
    """The same crowd asking `/healthz` twice (a form and its POST at the least a Django
    answer costs here): no page can tell 200 customers faster than this machine does."""
    session = booking._http.Session()
    began = time.perf_counter()
    try:
        for _ in range(2):
            if (await session.get(f"{base}/healthz")).status_code != 200:
                raise RuntimeError("healthz")
        results.append(("floor", time.perf_counter() - began))
    except Exception as exc:  # noqa: BLE001 - counted and reported
        print(f"# floor customer {n}: {exc!r}", file=sys.stderr)
        results.append(("error", time.perf_counter() - began))


def setup_flash_data(env) -> tuple[int, int]:
    import subprocess

    booking.prepare(env)
    code = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.models import Artisan, Slot, TicketType, Workshop
user = get_user_model().objects.create_user("flash@atelier.local", "flash@atelier.local", "x")
artisan = Artisan.objects.create(user=user, display_name="Flash pottery", slug="flash-pottery")
workshop = Workshop.objects.create(artisan=artisan, title="Flash wheel throwing", slug="flash-wheel",
    city="Paris", price_cents=5000, is_published=True)
tt = TicketType.objects.create(workshop=workshop, name="Adult", price_cents=5000)
start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
slot = Slot.objects.create(workshop=workshop, starts_at=start, ends_at=start + timedelta(hours=2), capacity={SEATS})
print(tt.pk, slot.pk)
"""
    out = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=booking.ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    return int(out[0]), int(out[1])


def main() -> int:
    db_url, name = booking.bench_database_url()
    booking.recreate_database(os.environ["DATABASE_URL"], name)
    env = booking.server_env(db_url)
    ticket_type, slot = setup_flash_data(env)
    port = booking.free_port()
    results: list[tuple[str, float]] = []
    print(f"loadavg: {Path('/proc/loadavg').read_text().split()[0]}")
    cpu: dict = {}
    elapsed = booking.run_customers(
        env,
        port,
        customer,
        lambda started: (ticket_type, slot, results),
        count=CUSTOMERS,
        join_timeout=120,
        cpu=cpu,
    )
    floor: list[tuple[str, float]] = []
    floor_cpu: dict = {}
    booking.run_customers(
        env,
        port,
        floor_customer,
        lambda started: (floor,),
        count=CUSTOMERS,
        join_timeout=120,
        cpu=floor_cpu,
    )
    db = booking.check_database(env)
    booked = [t for kind, t in results if kind == "booked"]
    sold_out = [t for kind, t in results if kind == "sold_out"]
    errors = sum(1 for kind, _ in results if kind == "error") + (CUSTOMERS - len(results))
    print(f"flash_customers: {CUSTOMERS}")
    print(f"flash_seats: {SEATS}")
    print(f"flash_seconds: {elapsed:.1f}")
    print(f"flash_booked: {len(booked)}")
    print(f"flash_sold_out_answers: {len(sold_out)}")
    print(f"flash_sold_out_p50_ms: {booking.percentile(sold_out, 50) * 1000:.0f}")
    print(f"flash_sold_out_p99_ms: {booking.percentile(sold_out, 99) * 1000:.0f}")
    print(
        f"flash_floor_p99_ms: {booking.percentile([t for k, t in floor if k == 'floor'], 99) * 1000:.0f}"
    )
    print(f"flash_booking_p99_ms: {booking.percentile(booked, 99) * 1000:.0f}")
    if cpu and floor_cpu:  # what the sale cost the server, against the healthz crowd
        print(f"flash_server_cpu_ms: {cpu['server'] * 1000:.0f}")
        print(f"flash_floor_server_cpu_ms: {floor_cpu['server'] * 1000:.0f}")
    print(f"flash_oversold: {db['oversold']}")
    print(f"flash_seat_count_mismatch: {db['seat_count_mismatch']}")
    print(f"flash_errors: {errors}")
    return 1 if db["oversold"] or errors or len(booked) != SEATS else 0


if __name__ == "__main__":
    sys.exit(main())
