"""Queries of a whole booking, request by request (issue 13: bench/booking.py's p99 is
mostly these round trips, made while the slot or the order is locked)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from bookings.models import Order, Slot
from bookings.states import OrderStatus
from notifications.models import Notification
from tests.bookings.test_checkout_views import form_data
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def slot():
    return SlotFactory(capacity=4, workshop=WorkshopFactory(price_cents=4000))


@pytest.fixture
def adult(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


def test_booking_and_paying_stay_within_their_query_budget(
    client, slot, adult, django_assert_max_num_queries
):
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    # Slot (the lock) read once; the order's checkout recorded by one conditional UPDATE.
    # 22 with the kept page's version read (a full session answers from it), 21 with the form token's lookup, the customer's earlier hold and the gift-card part.
    with django_assert_max_num_queries(22):
        response = client.post(url, form_data(adult, 2))
    assert response.status_code == 302
    pay_url = response["Location"]
    # Confirming: the ledger row by one INSERT … ON CONFLICT, the email and the SMS by one insert.
    with django_assert_max_num_queries(31):
        response = client.post(pay_url, {"action": "pay"})
    assert response.status_code == 302
    order = Order.objects.get()
    client.get(response["Location"])
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.tickets.count() == 2
    assert order.payment_intent_id and pay_url.endswith(f"/{order.payment_intent_id}/")
    assert set(
        Notification.objects.filter(
            idempotency_key__startswith=f"order:{order.pk}:confirmed"
        ).values_list("channel", flat=True)
    ) == {"email", "sms"}
    assert Slot.objects.get(pk=slot.pk).seats_taken == 2


def test_a_sold_out_session_says_so_at_once_without_a_form(
    client, slot, adult, django_assert_max_num_queries
):
    Slot.objects.filter(pk=slot.pk).update(seats_taken=4)  # raw write: no cache to trust
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    with django_assert_max_num_queries(3):  # the version, the slot, its ticket types: no lock
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "sold out" in body and 'name="customer_name"' not in body
    with django_assert_max_num_queries(2):  # the kept page: the version, this customer's seats
        response = client.post(url, form_data(adult, 1))
    assert response.status_code == 400 and "sold out" in response.content.decode()
    assert not Order.objects.exists()
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "cette séance est complète" in french and "Voir les autres dates" in french
    # A seat freed up (raw SQL again): the form is back at once.
    Slot.objects.filter(pk=slot.pk).update(seats_taken=3)
    assert 'name="customer_name"' in client.get(url).content.decode()


def test_a_full_session_with_a_confirm_first_ticket_keeps_its_form_for_the_waiting_list(
    client, slot, adult
):
    TicketTypeFactory(workshop=slot.workshop, name="On request", requires_confirmation=True)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=4)
    response = client.get(reverse("storefront:book", args=[slot.workshop.slug, slot.pk]))
    assert response.status_code == 200 and 'name="customer_name"' in response.content.decode()
