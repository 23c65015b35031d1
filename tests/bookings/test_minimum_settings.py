"""The workshop's minimum-participants and free-change settings (form and service rules), and what
the public workshop page says about them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.forms.backoffice import WorkshopForm
from bookings.models import Workshop
from bookings.services.errors import BookingError
from bookings.services.minimum import slot_minimum_decide, slots_minimum_check
from bookings.services.workshops import workshop_save
from bookings.states import Actor
from tests.bookings.test_backoffice_views import workshop_post
from tests.bookings.test_workshops import values
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    SlotFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

BAD = [
    ({"min_participants": "9"}, "min_participants"),  # above the default capacity (8)
    ({"min_participants": "0"}, "min_participants"),
    ({"min_participants": "-3"}, "min_participants"),
    ({"min_participants": "1" * 1000}, "min_participants"),
    ({"min_check_days": "4", "min_decision_days": "4"}, "min_decision_days"),
    ({"min_check_days": "3", "min_decision_days": "5"}, "min_decision_days"),
    ({"min_check_days": "61"}, "min_check_days"),
    ({"min_decision_days": "0"}, "min_decision_days"),
    ({"change_deadline_days": "-1"}, "change_deadline_days"),
    ({"change_deadline_days": "61"}, "change_deadline_days"),
    ({"change_deadline_days": "9999"}, "change_deadline_days"),
]


@pytest.mark.parametrize("overrides, field", BAD)
def test_form_refuses_bad_minimum_settings_next_to_the_field(overrides, field):
    form = WorkshopForm(workshop_post(**overrides))
    assert not form.is_valid()
    assert field in form.errors


def test_form_accepts_no_minimum_and_zero_free_change_days():
    form = WorkshopForm(workshop_post(min_participants="", change_deadline_days="0"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["min_participants"] is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"min_participants": 7}, "min_participants"),  # default capacity is 6
        ({"min_participants": 0}, "min_participants"),
        ({"min_check_days": 5, "min_decision_days": 5}, "min_decision_days"),
        ({"min_check_days": 0, "min_decision_days": 0}, "min_check_days"),
        ({"min_check_days": 61}, "min_check_days"),
        ({"change_deadline_days": 61}, "change_deadline_days"),
    ],
)
def test_service_refuses_broken_minimum_rules(overrides, field):
    with pytest.raises(BookingError) as error:
        workshop_save(artisan=ArtisanFactory(), values=values(**overrides))
    assert error.value.field == field
    assert not Workshop.objects.exists()


def test_the_artisan_saves_the_settings_from_the_activity_form(client):
    artisan = ArtisanFactory(user=UserFactory())
    client.force_login(artisan.user)
    post = workshop_post(
        min_participants="3", min_check_days="10", min_decision_days="5", change_deadline_days="2"
    )
    response = client.post(reverse("backoffice:workshop_create"), post)
    assert response.status_code == 302
    workshop = Workshop.objects.get(artisan=artisan)
    assert (workshop.min_participants, workshop.min_check_days) == (3, 10)
    assert (workshop.min_decision_days, workshop.change_deadline_days) == (5, 2)
    page = client.post(
        reverse("backoffice:workshop_edit", args=[workshop.pk]),
        workshop_post(min_participants="3", min_check_days="5", min_decision_days="5"),
    )
    assert page.status_code == 200 and "fewer days before the start" in page.content.decode()
    workshop.refresh_from_db()
    assert workshop.min_check_days == 10


# --- the public workshop page -----------------------------------------------------------------


def _page(client, workshop):
    return client.get(reverse("storefront:workshop", args=[workshop.slug])).content.decode()


def test_the_workshop_page_says_from_how_many_it_runs_and_which_dates_are_confirmed(client):
    workshop = WorkshopFactory(min_participants=3)
    start = (timezone.now() + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    reached = SlotFactory(workshop=workshop, starts_at=start)
    SlotFactory(workshop=workshop, starts_at=start + timedelta(days=1))
    html = _page(client, workshop)
    assert "Runs from 3 participants" in html and "Confirmed to run" not in html
    OrderFactory(slot=reached, seats=3)  # the cached page follows the seat count
    assert _page(client, workshop).count("Confirmed to run") == 1


def test_an_upheld_date_is_confirmed_to_run_on_the_cached_page(client):
    workshop = WorkshopFactory(min_participants=3)
    slot = SlotFactory(workshop=workshop)  # starts in 7 days: the check is due
    OrderFactory(slot=slot, seats=1)
    slots_minimum_check()
    assert "Confirmed to run" not in _page(client, workshop)
    slot_minimum_decide(slot_id=slot.pk, uphold=True, actor=Actor.artisan(workshop.artisan.user))
    assert "Confirmed to run" in _page(client, workshop)


def test_no_minimum_no_mention(client):
    workshop = WorkshopFactory()
    SlotFactory(workshop=workshop, seats_taken=5)
    html = _page(client, workshop)
    assert "Runs from" not in html and "Confirmed to run" not in html


def test_the_page_in_french(client):
    workshop = WorkshopFactory(min_participants=2)
    SlotFactory(workshop=workshop, seats_taken=2)
    client.cookies["django_language"] = "fr"
    html = _page(client, workshop)
    assert "Dès 2 participants" in html and "Confirmé, aura lieu" in html


def test_day_settings_left_empty_keep_the_workshops_values_or_the_defaults():
    post = workshop_post(change_deadline_days="", min_check_days="", min_decision_days="")
    form = WorkshopForm(post)
    assert form.is_valid(), form.errors
    days = [form.cleaned_data[n] for n in WorkshopForm.DAY_FIELDS]
    assert days == [4, 7, 4]
    workshop = WorkshopFactory(change_deadline_days=2, min_check_days=10, min_decision_days=3)
    form = WorkshopForm(post, workshop=workshop)
    assert form.is_valid(), form.errors
    assert [form.cleaned_data[n] for n in WorkshopForm.DAY_FIELDS] == [2, 10, 3]
