"""Slot services: series across DST, update, delete, cancel (with its emails)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from bookings.models import Slot
from bookings.services.slots import (
    BookingError,
    slot_cancel,
    slot_create_series,
    slot_delete,
    slot_update,
)
from bookings.states import OrderStatus, SlotKind, SlotStatus
from notifications.models import Notification
from tests.factories import ArtisanFactory, OrderFactory, SlotFactory, WorkshopFactory

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return WorkshopFactory(timezone="Europe/Paris", duration_minutes=150)


@time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    "day, utc_hour",
    [(date(2026, 7, 15), 8), (date(2026, 1, 20), 9)],
    ids=["summer", "winter"],
)
def test_slot_at_10_paris_is_stored_in_utc(workshop, day, utc_hour):
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)
    [slot] = slot_create_series(
        artisan=workshop.artisan, workshop_id=workshop.pk, starts_at=starts, capacity=6
    )
    slot.refresh_from_db()
    assert slot.starts_at == datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=150)
    assert slot.series is None


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_weekly_series_across_dst_keeps_10_local(workshop):
    starts = datetime(2026, 3, 17, 10, 0, tzinfo=PARIS)  # DST starts on 29 March 2026
    slots = slot_create_series(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        starts_at=starts,
        capacity=6,
        until=date(2026, 4, 14),
    )
    assert len(slots) == 5
    stored = list(Slot.objects.filter(workshop=workshop).order_by("starts_at"))
    assert [s.starts_at.astimezone(PARIS).hour for s in stored] == [10] * 5
    assert [s.starts_at.hour for s in stored] == [9, 9, 8, 8, 8]
    assert [s.ends_at.astimezone(PARIS).strftime("%H:%M") for s in stored] == ["12:30"] * 5
    assert len({s.series for s in stored}) == 1 and isinstance(stored[0].series, uuid.UUID)


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_series_uses_the_given_end_for_every_slot(workshop):
    starts = datetime(2026, 3, 17, 10, 0, tzinfo=PARIS)
    slots = slot_create_series(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        capacity=4,
        until=date(2026, 3, 31),
    )
    assert [s.ends_at - s.starts_at for s in slots] == [timedelta(hours=1)] * 3


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"starts_at": datetime(2026, 2, 1, 10, tzinfo=PARIS)}, "date"),
        ({"until": date(2026, 3, 10)}, "until"),
        ({"until": date(2027, 3, 30)}, "until"),
        ({"capacity": 0}, "capacity"),
        ({"ends_at": datetime(2026, 3, 17, 9, tzinfo=PARIS)}, "end_time"),
    ],
    ids=["past", "until-before-start", "more-than-a-year", "capacity-zero", "end-before-start"],
)
def test_series_refuses_bad_input(workshop, kwargs, field):
    args = {"starts_at": datetime(2026, 3, 17, 10, tzinfo=PARIS), "capacity": 4, **kwargs}
    with pytest.raises(BookingError) as error:
        slot_create_series(artisan=workshop.artisan, workshop_id=workshop.pk, **args)
    assert error.value.field == field
    assert not Slot.objects.exists()


def test_series_refuses_another_artisans_workshop(workshop):
    with pytest.raises(BookingError):
        slot_create_series(
            artisan=ArtisanFactory(),
            workshop_id=workshop.pk,
            starts_at=datetime(2030, 3, 17, 10, tzinfo=PARIS),
            capacity=4,
        )


def test_update_refuses_capacity_below_seats_taken():
    slot = SlotFactory(capacity=8, seats_taken=5)
    with pytest.raises(BookingError, match="5 seats are already booked"):
        slot_update(
            artisan=slot.workshop.artisan,
            slot_id=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            capacity=4,
        )
    slot.refresh_from_db()
    assert slot.capacity == 8


def test_update_moves_and_resizes():
    slot = SlotFactory(capacity=8, seats_taken=2)
    new_start = slot.starts_at + timedelta(days=1)
    slot_update(
        artisan=slot.workshop.artisan,
        slot_id=slot.pk,
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=3),
        capacity=2,
    )
    slot.refresh_from_db()
    assert (slot.starts_at, slot.capacity) == (new_start, 2)


def test_update_of_another_artisans_slot_is_not_found():
    slot = SlotFactory()
    with pytest.raises(Slot.DoesNotExist):
        slot_update(
            artisan=ArtisanFactory(),
            slot_id=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            capacity=3,
        )


def test_delete_removes_an_untouched_slot():
    slot = SlotFactory()
    slot_delete(artisan=slot.workshop.artisan, slot_id=slot.pk)
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_delete_refuses_a_slot_any_order_touched():
    order = OrderFactory(status=OrderStatus.EXPIRED)
    with pytest.raises(BookingError, match="cancel it instead"):
        slot_delete(artisan=order.slot.workshop.artisan, slot_id=order.slot.pk)
    assert Slot.objects.filter(pk=order.slot.pk).exists()


def test_cancel_offers_every_confirmed_customer_a_choice_and_tells_each_once(
    django_capture_on_commit_callbacks,
):
    # Changed with issue #11: confirmed orders are no longer cancelled and refunded at once; each
    # customer chooses another date or a refund (tests/bookings/test_changes.py).
    slot = SlotFactory(capacity=8, seats_taken=2)
    confirmed = [
        OrderFactory(slot=slot, status=OrderStatus.CONFIRMED, language=lang)
        for lang in ("en", "fr")
    ]
    expired = OrderFactory(slot=slot, status=OrderStatus.EXPIRED)
    with django_capture_on_commit_callbacks(execute=False):
        slot_cancel(
            artisan=slot.workshop.artisan, slot_id=slot.pk, message="The kiln broke, sorry!"
        )
        slot_cancel(artisan=slot.workshop.artisan, slot_id=slot.pk, message="again")
    slot.refresh_from_db()
    assert slot.status == SlotStatus.CANCELLED
    assert slot.cancel_message == "The kiln broke, sorry!"
    assert slot.cancelled_at is not None
    for order in confirmed:
        order.refresh_from_db()
        assert order.status == OrderStatus.AWAITING_CHOICE and order.choose_by is not None
    expired.refresh_from_db()
    assert expired.status == OrderStatus.EXPIRED
    emails = Notification.objects.filter(channel="email").order_by("pk")
    assert [n.idempotency_key for n in emails] == [
        f"order:{o.pk}:choose:{slot.pk}:email" for o in confirmed
    ]
    assert [n.recipient for n in emails] == [o.customer_email for o in confirmed]
    assert "The kiln broke, sorry!" in emails[0].body_text
    assert "Bonjour" in emails[1].body_text  # in the customer's language
    assert Notification.objects.filter(channel="sms").count() == 2


def test_cancel_refuses_a_slot_that_is_over():
    slot = SlotFactory(
        starts_at=datetime(2020, 1, 1, 9, tzinfo=UTC), ends_at=datetime(2020, 1, 1, 11, tzinfo=UTC)
    )
    with pytest.raises(BookingError):
        slot_cancel(artisan=slot.workshop.artisan, slot_id=slot.pk, message="x")


def test_cancel_of_another_artisans_slot_is_not_found():
    slot = SlotFactory()
    with pytest.raises(Slot.DoesNotExist):
        slot_cancel(artisan=ArtisanFactory(), slot_id=slot.pk, message="x")
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN


def test_cancel_works_on_a_held_private_slot():
    slot = SlotFactory(kind=SlotKind.PRIVATE, status=SlotStatus.HELD)
    slot_cancel(artisan=slot.workshop.artisan, slot_id=slot.pk, message="")
    slot.refresh_from_db()
    assert slot.status == SlotStatus.CANCELLED


@pytest.mark.parametrize(
    "changes",
    [{"capacity": 0}, {"seats_taken": 9}, {"ends_at": datetime(2020, 1, 1, tzinfo=UTC)}],
    ids=["capacity-zero", "seats-over-capacity", "end-before-start"],
)
def test_slot_constraints_hold_in_the_database(changes):
    slot = SlotFactory(capacity=8)
    for name, value in changes.items():
        setattr(slot, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        slot.save()
