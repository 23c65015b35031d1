"""Every bad input to a back-office form is a form error next to its field, never a 500."""

from datetime import UTC, datetime

import pytest
import time_machine

from bookings.forms.backoffice import MoneyField, SlotCreateForm, SlotEditForm, WorkshopForm
from tests.factories import SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, cents",
    [("65", 6500), ("65,50", 6550), ("65.5", 6550), ("1 200,00", 120000), ("€ 12", 1200), ("0", 0)],
)
def test_money_field_reads_euros(text, cents):
    assert MoneyField().clean(text) == cents


@pytest.mark.parametrize("text", ["abc", "-5", "65,505", "1e3", "99999999"])
def test_money_field_refuses_garbage(text):
    from django.forms import ValidationError

    with pytest.raises(ValidationError):
        MoneyField().clean(text)


@pytest.fixture
def workshop():
    return WorkshopFactory(timezone="Europe/Paris", duration_minutes=90, default_capacity=7)


def slot_data(the_workshop, **overrides):
    return {
        "workshop": the_workshop.pk,
        "date": "2026-03-17",
        "start_time": "10:00",
        "end_time": "",
        "capacity": "",
        "repeat": "once",
        "until": "",
        **overrides,
    }


@time_machine.travel(NOW, tick=False)
def test_slot_form_defaults_end_and_capacity_from_the_workshop(workshop):
    form = SlotCreateForm(slot_data(workshop), artisan=workshop.artisan)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"] == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    assert form.cleaned_data["ends_at"] == datetime(2026, 3, 17, 10, 30, tzinfo=UTC)
    assert form.cleaned_data["capacity"] == 7
    assert form.cleaned_data["until"] is None


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"date": "2026-02-01"}, "date"),
        ({"date": "not-a-date"}, "date"),
        ({"start_time": "25:99"}, "start_time"),
        ({"end_time": "09:00"}, "end_time"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-3"}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"repeat": "weekly"}, "until"),
        ({"repeat": "weekly", "until": "2026-03-10"}, "until"),
        ({"repeat": "weekly", "until": "2027-06-01"}, "until"),
        ({"repeat": "daily"}, "repeat"),
        ({"workshop": "999999"}, "workshop"),
    ],
    ids=[
        "past",
        "bad-date",
        "bad-time",
        "end-before-start",
        "capacity-zero",
        "capacity-negative",
        "capacity-text",
        "weekly-without-until",
        "until-before-start",
        "more-than-a-year",
        "bad-repeat",
        "unknown-workshop",
    ],
)
def test_slot_form_bad_input_is_a_field_error(workshop, overrides, field):
    form = SlotCreateForm(slot_data(workshop, **overrides), artisan=workshop.artisan)
    assert not form.is_valid()
    assert field in form.errors


def test_slot_form_offers_only_my_workshops(workshop):
    other = WorkshopFactory()
    form = SlotCreateForm(slot_data(other), artisan=workshop.artisan)
    assert not form.is_valid()
    assert "workshop" in form.errors


def test_slot_edit_form_refuses_capacity_below_seats_taken():
    slot = SlotFactory(capacity=8, seats_taken=6)
    form = SlotEditForm(
        {"date": "2030-01-01", "start_time": "10:00", "end_time": "12:00", "capacity": "5"},
        slot=slot,
    )
    assert not form.is_valid()
    assert "6 seats are already booked" in form.errors["capacity"][0]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "start, end, ends_at",
    [
        ("22:00", "00:00", datetime(2026, 3, 17, 23, 0, tzinfo=UTC)),
        ("21:30", "01:15", datetime(2026, 3, 18, 0, 15, tzinfo=UTC)),
    ],
    ids=["until-midnight", "past-midnight"],
)
def test_an_evening_session_ends_the_next_day(workshop, start, end, ends_at):
    form = SlotCreateForm(
        slot_data(workshop, start_time=start, end_time=end), artisan=workshop.artisan
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ends_at"] == ends_at


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("start, end", [("10:00", "10:00"), ("20:00", "08:30")])
def test_an_end_long_after_midnight_stays_an_error(workshop, start, end):
    form = SlotCreateForm(
        slot_data(workshop, start_time=start, end_time=end), artisan=workshop.artisan
    )
    assert not form.is_valid()
    assert form.errors["end_time"] == ["The end must be after the start."]


@time_machine.travel(NOW, tick=False)
def test_a_night_workshop_longer_than_twelve_hours_ends_the_next_morning():
    """The page's script fills 20:00 + 14 h as 10:00: that end is the next day too."""
    night = WorkshopFactory(timezone="Europe/Paris", duration_minutes=14 * 60)
    form = SlotCreateForm(
        slot_data(night, start_time="20:00", end_time="10:00"), artisan=night.artisan
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ends_at"] == datetime(2026, 3, 18, 9, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_an_evening_ending_in_the_hour_the_clocks_skip_is_a_field_error(workshop):
    """Paris, 29 March 2026: 02:00-03:00 does not exist; the next day's date is named."""
    form = SlotCreateForm(
        slot_data(workshop, date="2026-03-28", start_time="23:00", end_time="02:30"),
        artisan=workshop.artisan,
    )
    assert not form.is_valid()
    assert "02:30 does not exist on 29/03/2026" in form.errors["end_time"][0]


@time_machine.travel(NOW, tick=False)
def test_a_slot_until_midnight_is_saved_again_unchanged_by_its_own_form(workshop):
    """The edit form shows 22:00–00:00; sent back as shown, it means the same slot (not an error)."""
    slot = SlotFactory(
        workshop=workshop,
        starts_at=datetime(2026, 3, 20, 21, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 20, 23, 0, tzinfo=UTC),
    )
    shown = SlotEditForm(slot=slot).initial
    assert (shown["start_time"].hour, shown["end_time"].hour) == (22, 0)
    form = SlotEditForm({**shown, "capacity": "5"}, slot=slot)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["starts_at"], form.cleaned_data["ends_at"]) == (
        slot.starts_at,
        slot.ends_at,
    )


def workshop_data(**overrides):
    return {
        "title": "Raku",
        "description": "",
        "practical_info": "",
        "city": "Nantes",
        "address": "",
        "timezone": "Europe/Paris",
        "price_cents": "65,50",
        "currency": "EUR",
        "duration_minutes": "120",
        "default_capacity": "8",
        "is_published": "on",
        "privatisation_enabled": "on",
        "private_min_capacity": "2",
        "private_max_capacity": "8",
        **overrides,
    }


def test_workshop_form_reads_a_good_submission():
    form = WorkshopForm(workshop_data())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["price_cents"] == 6550
    assert form.cleaned_data["privatisation_enabled"] is True


@pytest.mark.parametrize(
    "overrides, fields",
    [
        (
            {"private_min_capacity": "9", "private_max_capacity": "8"},
            ["private_min_capacity", "private_max_capacity"],
        ),
        ({"private_min_capacity": "0"}, ["private_min_capacity"]),
        ({"private_max_capacity": "0"}, ["private_max_capacity"]),
        ({"price_cents": "cheap"}, ["price_cents"]),
        ({"title": ""}, ["title"]),
        ({"timezone": "Mars/Olympus"}, ["timezone"]),
        ({"currency": "XXX"}, ["currency"]),
        ({"duration_minutes": "0"}, ["duration_minutes"]),
        ({"default_capacity": "abc"}, ["default_capacity"]),
    ],
    ids=[
        "min-above-max",
        "min-zero",
        "max-zero",
        "price",
        "title",
        "timezone",
        "currency",
        "duration",
        "capacity",
    ],
)
def test_workshop_form_bad_input_is_a_field_error(overrides, fields):
    form = WorkshopForm(workshop_data(**overrides))
    assert not form.is_valid()
    assert sorted(form.errors) == sorted(fields)


def test_workshop_form_refuses_a_file_that_is_not_an_image():
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    form = WorkshopForm(workshop_data(), {"photo": upload})
    assert not form.is_valid()
    assert "photo" in form.errors


def test_money_field_shows_cents_as_euros_in_each_language():
    from django.utils import translation

    field = MoneyField()
    assert field.prepare_value(6500) == "65"
    assert field.prepare_value(6505) == "65.05"
    with translation.override("fr"):
        assert field.prepare_value(6550) == "65,50"


def test_workshop_form_keeps_an_unlisted_currency_set_by_ops():
    workshop = WorkshopFactory(currency="JPY")
    form = WorkshopForm(workshop_data(currency="JPY"), workshop=workshop)
    assert form.is_valid(), form.errors
