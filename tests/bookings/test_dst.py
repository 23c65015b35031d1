"""Nights the clocks change (Europe/Paris: 29 March and 25 October 2026): durations are absolute
time, and a wall-clock time that does not exist or happens twice is a form error, never a guess."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from bookings.forms.backoffice import SlotCreateForm, SlotEditForm
from bookings.models import Slot
from bookings.services.slots import slot_create_series
from privatisation.forms import SuggestionForm, slot_formset
from tests.factories import SlotFactory, WorkshopFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def workshop():
    return WorkshopFactory(timezone="Europe/Paris", duration_minutes=120, default_capacity=6)


def slot_data(workshop, **overrides):
    return {
        "workshop": workshop.pk,
        "date": "2026-03-29",
        "start_time": "01:30",
        "end_time": "",
        "capacity": "",
        "repeat": "once",
        "until": "",
        **overrides,
    }


@pytest.mark.parametrize("day", ["2026-03-29", "2026-10-25"], ids=["march", "october"])
def test_a_120_minute_workshop_lasts_two_hours_on_the_nights_the_clocks_change(
    client, workshop, day
):
    client.force_login(workshop.artisan.user)
    response = client.post(
        reverse("backoffice:slot_create"), slot_data(workshop, date=day, start_time="01:30")
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    slot = Slot.objects.get(workshop=workshop)
    assert slot.ends_at - slot.starts_at == timedelta(hours=2)


def test_the_series_service_adds_durations_in_absolute_time(workshop):
    start = datetime(2026, 10, 25, 1, 30, tzinfo=PARIS)
    [slot] = slot_create_series(
        artisan=workshop.artisan, workshop_id=workshop.pk, starts_at=start, capacity=4
    )
    assert slot.ends_at - slot.starts_at == timedelta(hours=2)
    # A given end on the March night: 01:00 → 04:00 local is two hours, not three.
    start, end = (
        datetime(2026, 3, 29, 1, 0, tzinfo=PARIS),
        datetime(2026, 3, 29, 4, 0, tzinfo=PARIS),
    )
    [slot] = slot_create_series(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        starts_at=start,
        ends_at=end,
        capacity=4,
    )
    assert slot.ends_at - slot.starts_at == timedelta(hours=2)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"start_time": "02:30"},
            "start_time",
            "02:30 does not exist on 29/03/2026 in Europe/Paris",
        ),
        ({"start_time": "01:00", "end_time": "02:15"}, "end_time", "02:15 does not exist"),
        (
            {"date": "2026-10-25", "start_time": "02:30"},
            "start_time",
            "02:30 happens twice on 25/10/2026",
        ),
        ({"date": "9999-12-31", "start_time": "10:00"}, "date", "within the next two years"),
        ({"date": "2029-01-01", "start_time": "10:00"}, "date", "within the next two years"),
        (
            {"start_time": "10:00", "repeat": "weekly", "until": "9999-12-31"},
            "until",
            "within the next two years",
        ),
    ],
    ids=["march-gap", "march-gap-end", "october-twice", "year-9999", "three-years", "until-9999"],
)
def test_slot_form_says_which_local_time_is_wrong(workshop, overrides, field, words):
    form = SlotCreateForm(slot_data(workshop, **overrides), artisan=workshop.artisan)
    assert not form.is_valid()
    assert any(words in message for message in form.errors[field]), form.errors


def test_slot_create_page_answers_a_form_error_not_a_500(client, workshop):
    client.force_login(workshop.artisan.user)
    for overrides in ({"start_time": "02:30"}, {"date": "9999-12-31"}):
        response = client.post(reverse("backoffice:slot_create"), slot_data(workshop, **overrides))
        assert response.status_code in (200, 400)
    assert not Slot.objects.exists()


def test_slot_edit_form_refuses_a_time_that_does_not_exist():
    slot = SlotFactory(workshop=WorkshopFactory(timezone="Europe/Paris"))
    data = {
        "date": "2026-03-29",
        "start_time": "02:30",
        "end_time": "04:00",
        "capacity": slot.capacity,
    }
    form = SlotEditForm(data, slot=slot)
    assert not form.is_valid() and "does not exist" in form.errors["start_time"][0]


def test_slot_form_time_error_in_french(workshop):
    from django.utils import translation

    with translation.override("fr"):
        form = SlotCreateForm(slot_data(workshop, start_time="02:30"), artisan=workshop.artisan)
        assert not form.is_valid()
        assert "n’existe pas le 29/03/2026" in form.errors["start_time"][0]


def test_privatisation_proposal_at_a_time_that_does_not_exist_is_refused(workshop):
    data = {
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-0-date": "2026-03-29",
        "slots-0-time": "02:30",
    }
    formset = slot_formset(workshop=workshop, data=data)
    assert not formset.is_valid()
    assert "02:30 does not exist on 29/03/2026" in " ".join(formset.non_form_errors())


@pytest.mark.parametrize(
    ("day", "words"), [("2026-03-29", "does not exist"), ("2026-10-25", "happens twice")]
)
def test_date_suggestion_at_a_time_the_clock_change_skips_or_repeats_is_refused(
    workshop, day, words
):
    data = {"date": day, "time": "02:30", "contact_name": "Ada", "email": "ada@example.com"}
    form = SuggestionForm(data, workshop=workshop)
    assert not form.is_valid()
    assert words in form.errors["time"][0]
