"""Gift cards under load: N customers redeem the same few cards at once, through HTTP, for D s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier python bench/giftcards.py

Same server set-up as bench/booking.py (gunicorn sync workers, the dev payment gateway) on its
own database (`<name>_bench_giftcards`, dropped and re-created). GIFT_BENCH_CARDS (3) cards of
GIFT_BENCH_CARD_CENTS (20000) each; a workshop of 10 € seats on a few slots. GIFT_BENCH_CUSTOMERS
(50) customers loop for GIFT_BENCH_SECONDS (10): open the booking form of a random slot, book one
seat paid in full by a random card (no card step: the answer is the confirmed order), or are
told what is left; a card found empty is not tried again by that customer. The cards run out
during the run, so the "told what is left" path is as contended as the redemptions.

Prints giftcard_redemptions_per_s (confirmed bookings paid by gift card per second),
giftcard_p99_ms (the redeeming POST, p99), giftcard_overspent (cards whose ledger went below
zero, whose balance is not the sum of their ledger, or whose uses exceed their value: must be 0)
and a few counts.
"""

import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking  # noqa: E402 - the server helpers of bench/booking.py

CUSTOMERS = int(os.environ.get("GIFT_BENCH_CUSTOMERS", 50))
SECONDS = float(os.environ.get("GIFT_BENCH_SECONDS", 10))
CARDS = int(os.environ.get("GIFT_BENCH_CARDS", 3))
CARD_CENTS = int(os.environ.get("GIFT_BENCH_CARD_CENTS", 20000))
SLOTS = 10
TOLD = ("left (it was used meanwhile)", "nothing left on it")


def bench_database_url() -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/giftcards.py needs DATABASE_URL pointing at PostgreSQL")
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "atelier") + "_bench_giftcards"
    return urlunsplit(parts._replace(path="/" + name)), name


def _shell(env, code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=booking.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1].split()


def setup_data(env) -> tuple[int, list[int], list[str]]:
    booking.prepare(env)
    out = _shell(
        env,
        f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from bookings.models import Artisan, Slot, TicketType, Workshop
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.states import GiftCardSource
user = get_user_model().objects.create_user("gift@atelier.local", "gift@atelier.local", "x")
artisan = Artisan.objects.create(user=user, display_name="Gift pottery", slug="gift-pottery")
workshop = Workshop.objects.create(artisan=artisan, title="Gift wheel", slug="gift-wheel",
    city="Paris", price_cents=1000, is_published=True)
tt = TicketType.objects.create(workshop=workshop, name="Adult", price_cents=1000)
start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
slots = [Slot.objects.create(workshop=workshop, starts_at=start + timedelta(hours=3 * n),
    ends_at=start + timedelta(hours=3 * n + 2), capacity=10000).pk for n in range({SLOTS})]
codes = []
for n in range({CARDS}):
    card = giftcard_create(amount_cents={CARD_CENTS}, buyer_name="Bench", buyer_email="b@x.local",
        source=GiftCardSource.OPS)
    codes.append(giftcard_issue(gift_card_id=card.pk).display_code)
print(tt.pk, ",".join(map(str, slots)), ",".join(codes))
""",
    )
    return int(out[0]), [int(s) for s in out[1].split(",")], out[2].split(",")


class Stats:
    def __init__(self):
        self.redeemed = 0
        self.told = 0
        self.errors = 0
        self.posts: list[float] = []

    def add(self, kind: str, seconds: float) -> None:
        self.posts.append(seconds)
        if kind == "redeemed":
            self.redeemed += 1
        elif kind == "told":
            self.told += 1
        else:
            self.errors += 1


async def customer(base, ticket_type, slots, codes, stats, stop_at, n):  # noqa: C901 - one journey
    session = booking._http.Session()
    empty: set[str] = set()
    rng = random.Random(n)
    while time.monotonic() < stop_at and len(empty) < len(codes):
        code = rng.choice([c for c in codes if c not in empty])
        url = f"{base}/workshops/gift-wheel/book/{rng.choice(slots)}/"
        try:
            form = await session.get(url)
            token = booking.CSRF.search(form.text).group(1)
            began = time.perf_counter()
            response = await session.post(
                url,
                data={
                    "csrfmiddlewaretoken": token,
                    f"qty_{ticket_type}": "1",
                    "customer_name": f"Customer {n}",
                    "customer_email": f"c{n}@example.com",
                    "customer_phone": "+33612345678",
                    "gift_code": code.lower(),
                },
                headers={"Referer": url},
            )
            took = time.perf_counter() - began
            if response.status_code == 302 and "/o/" in response.headers["Location"]:
                stats.add("redeemed", took)
            elif response.status_code == 400 and any(t in response.text for t in TOLD):
                stats.add("told", took)
                if "nothing left" in response.text:
                    empty.add(code)
            else:
                raise RuntimeError(f"redeem answered {response.status_code}")
        except Exception as exc:  # noqa: BLE001 - counted and reported
            print(f"# customer {n}: {exc!r}", file=sys.stderr)
            stats.add("error", 0.0)


def check_database(env) -> dict:
    out = _shell(
        env,
        """
from django.db.models import Q, Sum
from bookings.models import GiftCard, Order
bad = 0
for card in GiftCard.objects.annotate(
        ledger=Sum("entries__amount_cents"),
        used=Sum("entries__amount_cents", filter=Q(entries__kind="use"))):
    spent = -(card.used or 0)
    if card.balance_cents < 0 or card.balance_cents != (card.ledger or 0) or spent > card.amount_cents:
        bad += 1
confirmed = Order.objects.filter(status="confirmed").count()
seats = Order.objects.filter(status="confirmed").aggregate(s=Sum("total_cents"))["s"] or 0
print(bad, confirmed, seats)
""",
    )
    return {"overspent": int(out[0]), "confirmed": int(out[1]), "paid_cents": int(out[2])}


def main() -> int:
    db_url, name = bench_database_url()
    booking.recreate_database(os.environ["DATABASE_URL"], name)
    env = booking.server_env(db_url)
    env["RATE_LIMIT_GIFT_CARD_CODES"] = "1000000/s"
    ticket_type, slots, codes = setup_data(env)
    port = booking.free_port()
    stats = Stats()
    print(f"loadavg: {Path('/proc/loadavg').read_text().split()[0]}")
    elapsed = booking.run_customers(
        env,
        port,
        customer,
        lambda started: (ticket_type, slots, codes, stats, started + SECONDS),
        count=CUSTOMERS,
        join_timeout=SECONDS + 60,
    )
    db = check_database(env)
    print(f"giftcard_customers: {CUSTOMERS}")
    print(f"giftcard_cards: {CARDS}")
    print(f"giftcard_seconds: {elapsed:.1f}")
    print(f"giftcard_redemptions_per_s: {stats.redeemed / elapsed:.1f}")
    print(f"giftcard_p99_ms: {booking.percentile(stats.posts, 99) * 1000:.0f}")
    print(f"giftcard_redeemed: {stats.redeemed}")
    print(f"giftcard_confirmed_in_db: {db['confirmed']}")
    print(f"giftcard_told_what_is_left: {stats.told}")
    print(f"giftcard_errors: {stats.errors}")
    print(f"giftcard_overspent: {db['overspent']}")
    capacity = CARDS * CARD_CENTS
    return 1 if db["overspent"] or stats.errors or db["paid_cents"] > capacity else 0


if __name__ == "__main__":
    sys.exit(main())
