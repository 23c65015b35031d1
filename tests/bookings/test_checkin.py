"""Checking tickets in at the door: every answer the door can give, and one check-in per ticket."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from bookings.models import Ticket, ticket_code_key
from bookings.services import BookingError, order_cancel_and_refund
from bookings.services.checkin import (
    CheckInOutcome,
    ticket_check_in,
    ticket_check_in_undo,
    ticket_code_normalise,
)
from tests.bookings.checkin_helpers import confirmed_order, ticket_of
from tests.factories import ArtisanFactory, PendingOrderFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 10, 8, 5, tzinfo=UTC)


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def slot(artisan):
    return SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=10)


def check_in(artisan, slot, code, **kwargs):
    return ticket_check_in(artisan=artisan, slot_id=slot.pk, code=code, **kwargs)


def test_a_valid_ticket_is_checked_in_with_its_name_and_type(artisan, slot):
    order = confirmed_order(slot, name="Ada Lovelace", label="Adult")
    ticket = ticket_of(order)
    result = check_in(artisan, slot, ticket.code, now=NOW)
    assert result.outcome == CheckInOutcome.CHECKED_IN and result.tone == "valid"
    assert result.order.customer_name == "Ada Lovelace" and result.ticket.label == "Adult"
    ticket.refresh_from_db()
    assert ticket.checked_in_at == NOW == result.checked_in_at
    assert ticket.checked_in_by == artisan.user


def test_the_same_ticket_twice_says_already_and_when(artisan, slot):
    ticket = ticket_of(confirmed_order(slot))
    check_in(artisan, slot, ticket.code, now=NOW)
    again = check_in(artisan, slot, ticket.code, now=NOW + timedelta(minutes=20))
    assert again.outcome == CheckInOutcome.ALREADY and again.tone == "warning"
    assert again.checked_in_at == NOW
    ticket.refresh_from_db()
    assert ticket.checked_in_at == NOW


@pytest.mark.parametrize(
    "typed",
    [
        "  {code}  ",
        "{upper}",
        "{spaced}",
        "{dashed}",
        "https://atelier.example/t/{code}/",
        "https://atelier.example/check?code={code}&x=1",
    ],
)
def test_codes_are_read_as_typed_or_scanned(artisan, slot, typed):
    ticket = ticket_of(confirmed_order(slot))
    Ticket.objects.filter(pk=ticket.pk).update(code="Ab3-xY_9kLmN0pQ-rS7tUv")
    code = "Ab3-xY_9kLmN0pQ-rS7tUv"
    text = typed.format(
        code=code,
        upper=code.upper(),
        spaced=" ".join(code.replace("-", "")[i : i + 4] for i in range(0, 22, 4)),
        dashed="-".join(code.replace("-", "")[i : i + 4] for i in range(0, 22, 4)),
    )
    assert check_in(artisan, slot, text).outcome == CheckInOutcome.CHECKED_IN


def test_normalising_keeps_underscores_and_drops_every_dash():
    assert ticket_code_normalise(" Ab‑C—d_E ") == "abcd_e"
    assert ticket_code_normalise("ＡＢ　ｃ１") == "abc1"  # full-width letters, ideographic space
    assert ticket_code_normalise("") == ticket_code_normalise("https://x.example/") == ""


def test_a_ticket_for_another_date_says_which(artisan, slot):
    other = SlotFactory(workshop=slot.workshop, starts_at=slot.starts_at + timedelta(days=7))
    ticket = ticket_of(confirmed_order(other))
    result = check_in(artisan, slot, ticket.code)
    assert result.outcome == CheckInOutcome.OTHER_DATE and result.tone == "warning"
    assert result.order.slot == other
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_an_order_pending_confirmation_is_not_admitted(artisan, slot):
    order = PendingOrderFactory(slot=slot, customer_name="Grace")
    result = check_in(artisan, slot, order.reference.lower())
    assert result.outcome == CheckInOutcome.PENDING and result.order == order
    assert result.tone == "warning"


def test_a_cancelled_order_is_refused(artisan, slot):
    order = confirmed_order(slot)
    ticket = ticket_of(order)
    order_cancel_and_refund(order_id=order.pk, reason="Asked by the customer")
    result = check_in(artisan, slot, ticket.code)
    assert result.outcome == CheckInOutcome.CANCELLED and result.tone == "refused"
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


@pytest.mark.parametrize(
    "code", ["nope", "", "   ", "x" * 65, "' OR 1=1 --", "%", "_" * 22, "ｃｏｄｅ🙂", "\u202e"]
)
def test_unknown_codes_are_unknown(artisan, slot, code):
    ticket = ticket_of(confirmed_order(slot))
    result = check_in(artisan, slot, code)
    assert result.outcome == CheckInOutcome.UNKNOWN and result.tone == "refused"
    assert result.ticket is None and result.order is None
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_another_artisans_ticket_is_unknown_and_stays_untouched(artisan, slot):
    elsewhere = SlotFactory(starts_at=slot.starts_at)
    theirs = confirmed_order(elsewhere, name="Someone Else")
    result = check_in(artisan, slot, ticket_of(theirs).code)
    assert result.outcome == CheckInOutcome.UNKNOWN and result.order is None
    assert check_in(artisan, slot, theirs.reference).outcome == CheckInOutcome.UNKNOWN
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()


def test_another_artisans_slot_is_refused(artisan):
    elsewhere = SlotFactory()
    ticket = ticket_of(confirmed_order(elsewhere))
    with pytest.raises(BookingError):
        check_in(artisan, elsewhere, ticket.code)
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_an_order_number_admits_its_tickets_one_by_one(artisan, slot):
    order = confirmed_order(slot, seats=2)
    first = check_in(artisan, slot, f" {order.reference.lower()} ", now=NOW)
    second = check_in(artisan, slot, order.reference, now=NOW + timedelta(minutes=1))
    third = check_in(artisan, slot, order.reference, now=NOW + timedelta(minutes=2))
    assert [first.outcome, second.outcome, third.outcome] == [
        CheckInOutcome.CHECKED_IN,
        CheckInOutcome.CHECKED_IN,
        CheckInOutcome.ALREADY,
    ]
    assert {first.ticket.pk, second.ticket.pk} == set(order.tickets.values_list("pk", flat=True))
    assert third.checked_in_at == NOW + timedelta(minutes=1)


def test_not_arrived_after_all_clears_the_check_in(artisan, slot):
    ticket = ticket_of(confirmed_order(slot))
    check_in(artisan, slot, ticket.code)
    ticket_check_in_undo(artisan=artisan, slot_id=slot.pk, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None and ticket.checked_in_by is None
    assert check_in(artisan, slot, ticket.code).outcome == CheckInOutcome.CHECKED_IN


def test_not_arrived_refuses_another_slots_or_artisans_ticket(artisan, slot):
    other_slot = SlotFactory(workshop=slot.workshop)
    theirs = ticket_of(confirmed_order(SlotFactory()))
    mine_elsewhere = ticket_of(confirmed_order(other_slot))
    for ticket in (theirs, mine_elsewhere):
        Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=NOW)
        with pytest.raises(BookingError):
            ticket_check_in_undo(artisan=artisan, slot_id=slot.pk, ticket_id=ticket.pk)
        ticket.refresh_from_db()
        assert ticket.checked_in_at == NOW


def test_check_in_uses_the_clock_by_default(artisan, slot):
    ticket = ticket_of(confirmed_order(slot))
    with time_machine.travel(NOW, tick=False):
        check_in(artisan, slot, ticket.code)
    ticket.refresh_from_db()
    assert ticket.checked_in_at == NOW


PHONES = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_phones_scanning_the_same_ticket_at_once_check_it_in_once(postgres_only):
    artisan = ArtisanFactory()
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    ticket = ticket_of(confirmed_order(slot))
    barrier = threading.Barrier(PHONES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def phone(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = check_in(artisan, slot, ticket.code, now=NOW + timedelta(seconds=n)).outcome
        except Exception as exc:  # noqa: BLE001 - a failure must show in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(str(outcome))

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(PHONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == sorted(["checked_in"] + ["already"] * (PHONES - 1)), outcomes
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None


@pytest.mark.postgres
def test_the_code_lookup_uses_its_index(postgres_only):
    queryset = Ticket.objects.alias(key=ticket_code_key()).filter(key="abc")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "ticket_code_key" in plan, plan
