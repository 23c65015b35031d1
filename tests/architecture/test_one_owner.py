"""One owner per aggregate: pending_orders and privatisation never write bookings' or
notifications' rows themselves; they call the owner's services."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The same pattern as CI's hook: an order's or a slot's status / seat count assigned, an Order or
# Slot written through the manager, a ledger or notification row written.
FORBIDDEN = re.compile(
    r"\b(order|slot)[a-z_]*\.(status|seats_taken)\s*=[^=]"
    r"|(Order|Slot)\.objects[^#]*\.(update|create|bulk_create)\("
    r"|(PaymentEvent|Notification)\.objects\.(create|get_or_create|bulk_create)"
)
WALKED = ("pending_orders", "privatisation")


def offending_lines(root: Path = ROOT) -> list[str]:
    found = []
    for app in WALKED:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if FORBIDDEN.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_app_but_bookings_writes_orders_slots_or_the_ledger():
    assert offending_lines() == []


def test_the_walker_finds_a_forbidden_line(tmp_path):
    app = tmp_path / "privatisation" / "services"
    app.mkdir(parents=True)
    (app / "bad.py").write_text(
        "def f(order, slot):\n"
        "    order.status = 'confirmed'\n"
        "    slot.seats_taken = 3\n"
        "    Slot.objects.filter(pk=1).update(status='open')\n"
        "    PaymentEvent.objects.create(order=order)\n"
        "    Notification.objects.bulk_create([])\n"
        "    if order.status == 'confirmed':\n"
        "        pass\n"
    )
    assert [line.split(":")[1] for line in offending_lines(tmp_path)] == ["2", "3", "4", "5", "6"]
