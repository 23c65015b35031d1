"""The workshop page cached whole under its database-kept version, and the GET language switcher."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Workshop
from bookings.services import order_place
from bookings.services.slots import slot_cancel
from bookings.services.workshops import WORKSHOP_FIELDS, workshop_save
from bookings.views import storefront as storefront_views
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    workshop = WorkshopFactory(title="Wheel throwing")
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for i in range(3):
        SlotFactory(workshop=workshop, starts_at=start + timedelta(days=i), capacity=8)
    return workshop


def _url(workshop):
    return reverse("storefront:workshop", args=[workshop.slug])


def _seats_left(html):
    return re.findall(r"(\d+) seats? left", html)


@pytest.fixture
def renders(count_calls):
    """How many times the workshop page template was rendered."""
    return count_calls(storefront_views, "render")


def test_a_second_visit_is_served_from_the_cache_after_one_query(
    client, workshop, renders, django_assert_num_queries
):
    first = client.get(_url(workshop))
    with django_assert_num_queries(1):
        second = client.get(_url(workshop))
    assert len(renders) == 1
    assert second.content == first.content and second["ETag"] == first["ETag"]


def test_the_cached_page_changes_when_a_seat_is_booked(client, workshop, renders):
    adult = TicketTypeFactory(workshop=workshop)
    slot = workshop.slots.order_by("starts_at").first()
    assert _seats_left(client.get(_url(workshop)).content.decode()) == ["8", "8", "8"]
    order_place(
        slot_id=slot.pk,
        quantities={adult.pk: 3},
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    assert _seats_left(client.get(_url(workshop)).content.decode()) == ["5", "8", "8"]
    assert len(renders) == 2


def test_the_cached_page_drops_a_cancelled_slot(client, workshop):
    slot = workshop.slots.order_by("starts_at").first()
    assert client.get(_url(workshop)).content.decode().count('<li class="slot') == 3
    slot_cancel(artisan=workshop.artisan, slot_id=slot.pk, message="The kiln broke.")
    assert client.get(_url(workshop)).content.decode().count('<li class="slot') == 2


def test_the_cached_page_follows_a_workshop_edit_and_unpublishing(client, workshop):
    assert "Wheel throwing" in client.get(_url(workshop)).content.decode()
    values = {name: getattr(workshop, name) for name in WORKSHOP_FIELDS}
    workshop_save(
        artisan=workshop.artisan, workshop_id=workshop.pk, values={**values, "title": "Raku firing"}
    )
    html = client.get(_url(workshop)).content.decode()
    assert "Raku firing" in html and "Wheel throwing" not in html
    Workshop.objects.filter(pk=workshop.pk).update(is_published=False)
    assert client.get(_url(workshop)).status_code == 404


def test_the_cached_page_follows_an_artisan_rename(client, workshop):
    client.get(_url(workshop))
    type(workshop.artisan).objects.filter(pk=workshop.artisan_id).update(
        display_name="Atelier Renamed"
    )
    assert "Atelier Renamed" in client.get(_url(workshop)).content.decode()


def test_a_slot_that_starts_leaves_the_cached_page(client, workshop):
    first = workshop.slots.order_by("starts_at").first()
    assert client.get(_url(workshop)).content.decode().count('<li class="slot') == 3
    with time_machine.travel(first.starts_at + timedelta(minutes=1)):
        assert client.get(_url(workshop)).content.decode().count('<li class="slot') == 2


def test_a_revalidating_browser_gets_304_until_the_page_changes(client, workshop):
    etag = client.get(_url(workshop))["ETag"]
    assert client.get(_url(workshop), HTTP_IF_NONE_MATCH=etag).status_code == 304
    workshop.slots.update(seats_taken=2)
    response = client.get(_url(workshop), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_the_page_holds_nothing_per_visitor(client, workshop):
    response = client.get(_url(workshop))
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html
    assert "csrftoken" not in response.cookies
    assert 'method="get"' in html and reverse("language_switch") in html


def test_a_flash_message_is_shown_once_and_never_cached(client, workshop, renders):
    storage = CookieStorage(HttpRequest())
    client.cookies["messages"] = storage._encode(
        [Message(constants.SUCCESS, "Your booking is cancelled.")]
    )
    assert "Your booking is cancelled." in client.get(_url(workshop)).content.decode()
    del client.cookies["messages"]
    assert "Your booking is cancelled." not in Client().get(_url(workshop)).content.decode()
    assert len(renders) == 2


def test_other_query_strings_are_rendered_not_cached(client, workshop, renders):
    client.get(_url(workshop), {"utm_source": "newsletter"})
    client.get(_url(workshop), {"utm_source": "newsletter"})
    assert len(renders) == 2


def test_the_page_renders_for_a_signed_in_artisan_and_the_backoffice_keeps_its_csrf_token(workshop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(workshop.artisan.user)
    assert client.get(_url(workshop)).status_code == 200
    html = client.get(reverse("backoffice:calendar")).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    assert token and 'name="csrfmiddlewaretoken"' in html
    assert client.post(reverse("backoffice:logout"), HTTP_X_CSRFTOKEN=token).status_code == 302


def test_the_workshop_page_in_french_from_the_language_cookie(client, workshop):
    client.get(_url(workshop))  # the English page, cached
    response = client.get(reverse("language_switch"), {"language": "fr", "next": _url(workshop)})
    assert response.status_code == 302 and response["Location"] == _url(workshop)
    html = client.get(_url(workshop)).content.decode()
    assert "Dates à venir" in html and 'lang="fr"' in html


# --- the language switcher (a GET) -----------------------------------------------------------


def test_language_switch_sets_the_cookie_and_goes_back(client):
    response = client.get(
        reverse("language_switch"), {"language": "fr", "next": "/workshops/raku/?after=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/workshops/raku/?after=x"
    assert response.cookies["django_language"].value == "fr"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_language_switch_refuses_an_off_site_next(client, next_url):
    response = client.get(reverse("language_switch"), {"language": "fr", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


def test_language_switch_ignores_an_unknown_language(client):
    response = client.get(reverse("language_switch"), {"language": "xx", "next": "/"})
    assert response.status_code == 302 and "django_language" not in response.cookies


@pytest.mark.django_db(transaction=True)
def test_a_committed_raw_sql_write_is_seen_by_the_next_view(client):
    """The real, committed path (on PostgreSQL the version triggers run at COMMIT)."""
    workshop = WorkshopFactory(title="Wheel throwing")
    slot = SlotFactory(workshop=workshop, starts_at=timezone.now() + timedelta(days=3), capacity=8)
    etag = client.get(_url(workshop))["ETag"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET seats_taken = 6 WHERE id = %s", [slot.pk])
    response = client.get(_url(workshop), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and _seats_left(response.content.decode()) == ["2"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_artisan SET display_name = 'Atelier Nord' WHERE id = %s",
            [workshop.artisan_id],
        )
    assert "Atelier Nord" in client.get(_url(workshop)).content.decode()
