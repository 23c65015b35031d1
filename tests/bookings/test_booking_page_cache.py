"""The booking page kept rendered under its workshop's database-kept form version (issue 13: a
flash sale's crowd gets the form, and its latecomers the sold-out page, without rendering
anything; a booking changes the seats filled in, not the kept form)."""

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

from bookings.models import Order, Slot
from bookings.views import checkout as checkout_views
from tests.bookings.test_checkout_views import form_data
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def slot():
    return SlotFactory(capacity=4, workshop=WorkshopFactory(price_cents=4000))


@pytest.fixture
def adult(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


@pytest.fixture
def url(slot):
    return reverse("storefront:book", args=[slot.workshop.slug, slot.pk])


@pytest.fixture
def renders(count_calls):
    """How many times the booking page was rendered."""
    return count_calls(checkout_views, "render")


def test_a_second_display_costs_one_query_and_gets_its_own_tokens(
    url, adult, renders, django_assert_num_queries
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(url).content.decode()
    with django_assert_num_queries(1):  # the form version and the seats left, read with the slot
        page_two = second.get(url).content.decode()
    assert len(renders) == 1
    assert "4 seats left" in page_two and 'name="customer_name"' in page_two
    assert "atelier0" not in page_two  # no token slot left unfilled
    assert FORM_TOKEN.search(page_one)[1] != FORM_TOKEN.search(page_two)[1]
    assert CSRF.search(page_one)[1] != CSRF.search(page_two)[1]
    # The kept page's CSRF token is this visitor's: their booking goes through.
    token = CSRF.search(page_two)[1]
    response = second.post(
        url,
        {
            **form_data(adult, 1),
            "csrfmiddlewaretoken": token,
            "form_token": FORM_TOKEN.search(page_two)[1],
        },
    )
    assert response.status_code == 302
    assert Order.objects.get().form_token == FORM_TOKEN.search(page_two)[1]


def test_a_raw_sql_write_to_the_slot_or_its_ticket_types_shows_on_the_next_display(
    client, slot, url, adult, renders
):
    assert "4 seats left" in client.get(url).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET seats_taken = 3 WHERE id = %s", [slot.pk])
    assert "1 seat left" in client.get(url).content.decode()
    assert len(renders) == 1  # the seats are filled in: the form was not rendered again
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET capacity = 9 WHERE id = %s", [slot.pk])
    page = client.get(url).content.decode()
    assert "6 seats left" in page and 'max="9"' in page  # the form's limit is the capacity
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_tickettype SET name = 'Grown-up' WHERE id = %s", [adult.pk])
    assert "Grown-up" in client.get(url).content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_workshop SET is_published = %s WHERE id = %s",
            [False, slot.workshop_id],
        )
    assert client.get(url).status_code == 404
    assert len(renders) == 3


def test_a_booking_changes_the_seats_shown_without_rendering_the_form_again(
    slot, url, adult, renders
):
    confirm_first = TicketTypeFactory(
        workshop=slot.workshop, name="Private", price_cents=9000, requires_confirmation=True
    )
    assert "4 seats left" in Client().get(url).content.decode()
    booker = Client()
    assert booker.post(url, form_data(adult, 3)).status_code == 302
    assert len(renders) == 1
    page = Client().get(url).content.decode()
    assert "1 seat left" in page and "Ask for more than the 1 seat left" in page
    assert "atelier0" not in page
    french = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "1 place restante" in french and "Au-delà de la" in french
    assert len(renders) == 2  # the French page, once
    # The last seat taken: the confirm-first ticket still offers its waiting list, with 0 left.
    Client().post(url, form_data(adult, 1, customer_email="bob@example.com"))
    page = Client().get(url).content.decode()
    assert "0 seats left" in page and confirm_first.name in page
    assert len(renders) == 3  # a full session's page has a key of its own


def test_the_last_seat_taken_turns_the_kept_form_into_the_sold_out_page(client, slot, url, adult):
    assert 'name="customer_name"' in Client().get(url).content.decode()
    assert Client().post(url, form_data(adult, 4)).status_code == 302
    page = client.get(url).content.decode()
    assert "sold out" in page and 'name="customer_name"' not in page
    Slot.objects.filter(pk=slot.pk).update(capacity=6)  # the artisan adds two seats
    assert "2 seats left" in client.get(url).content.decode()


def test_a_started_or_cancelled_slot_is_not_served_from_the_kept_page(client, slot, url, adult):
    assert client.get(url).status_code == 200
    with time_machine.travel(slot.starts_at + timedelta(minutes=1)):
        assert client.get(url).status_code == 404
    Slot.objects.filter(pk=slot.pk).update(status="cancelled")
    assert client.get(url).status_code == 404


def test_a_full_sessions_post_is_answered_from_the_kept_sold_out_page(
    client, slot, url, adult, renders, django_assert_max_num_queries
):
    Slot.objects.filter(pk=slot.pk).update(seats_taken=4)
    assert "sold out" in client.get(url).content.decode()
    with django_assert_max_num_queries(2):  # the version, the seats this customer holds (none)
        response = client.post(url, form_data(adult, 1))
    assert response.status_code == 400 and "sold out" in response.content.decode()
    assert len(renders) == 1 and not Order.objects.exists()
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "cette séance est complète" in french  # a page per language


def test_a_customer_holding_seats_on_a_full_session_still_gets_the_form(client, slot, url, adult):
    client.post(url, form_data(adult, 4))  # their unpaid booking holds the last seats
    assert Slot.objects.get(pk=slot.pk).seats_taken == 4
    assert "sold out" in Client().get(url).content.decode()  # kept for everyone else
    response = client.post(url, form_data(adult, 2))  # …but they may book again over it
    assert response.status_code == 302
    assert Slot.objects.get(pk=slot.pk).seats_taken == 2


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(client, url, adult, renders):
    Client().get(url)  # kept
    client.cookies["messages"] = CookieStorage(HttpRequest())._encode(
        [Message(constants.ERROR, "Your payment was declined.")]
    )
    assert "Your payment was declined." in client.get(url).content.decode()
    del client.cookies["messages"]
    assert "Your payment was declined." not in Client().get(url).content.decode()
    assert len(renders) == 2


def test_a_query_string_is_rendered_not_kept(client, url, adult, renders):
    client.get(url, {"utm_source": "newsletter"})
    client.get(url, {"utm_source": "newsletter"})
    assert len(renders) == 2


def test_the_hx_headers_token_of_the_kept_page_is_the_visitors(url, adult):
    Client().get(url)  # kept
    client = Client(enforce_csrf_checks=True)
    html = client.get(url).content.decode()
    assert re.search(r'"X-CSRFToken": "([^"]+)"', html)[1] == CSRF.search(html)[1]


def test_a_page_rendered_after_the_seats_changed_under_it_is_not_kept(
    client, slot, url, adult, monkeypatch
):
    """The version says seats are left, then the last one goes before the slot row is read: the
    sold-out page this request shows must not be kept under the key of a session with seats."""
    read_version = checkout_views.bookable_slot_version

    def version_then_sell_out(**kwargs):
        answer = read_version(**kwargs)
        Slot.objects.filter(pk=slot.pk).update(seats_taken=4)
        return answer

    monkeypatch.setattr(checkout_views, "bookable_slot_version", version_then_sell_out)
    assert "sold out" in client.get(url).content.decode()
    monkeypatch.setattr(checkout_views, "bookable_slot_version", read_version)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=1)  # a hold lapsed: seats again
    page = client.get(url).content.decode()
    assert "3 seats left" in page and 'name="customer_name"' in page
