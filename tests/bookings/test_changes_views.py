"""The customer's pages after the booking (token link): what may still be done and until when,
move, cancel, withdraw; confirmation screens, double submits, hostile ids."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from bookings.models import DevPayment, Order
from bookings.services.slots import slot_cancel
from bookings.states import OrderStatus
from tests.bookings.conftest import make_slot
from tests.bookings.test_orders import pay_on_dev_gateway, place
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def url(name, order, *args):
    return reverse(f"storefront:{name}", args=[order.token, *args])


def test_the_order_page_says_until_when_changes_are_free_in_the_workshops_time_zone(client):
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        workshop = WorkshopFactory(timezone="Europe/Paris")
        adult = TicketTypeFactory(workshop=workshop)
        slot = SlotFactory(workshop=workshop, starts_at=datetime(2026, 12, 8, 13, tzinfo=UTC))
        order = place(slot, {adult.pk: 1})
        pay_on_dev_gateway(order)
        page = client.get(url("order", order)).content.decode()
    assert "Free changes until Fri 4 Dec, 14:00" in page
    assert url("order_move", order) in page and url("order_cancel", order) in page


def test_after_the_deadline_the_page_says_why_and_how_to_reach_the_artisan(client, paid, first):
    with time_machine.travel(first.starts_at - timedelta(days=2)):
        page = client.get(url("order", paid)).content.decode()
    assert "that time has passed" in page
    assert f"mailto:{first.workshop.artisan.email}" in page
    assert url("order_move", paid) not in page and url("order_cancel", paid) not in page


def test_the_page_is_in_french_for_a_french_visitor(client, paid):
    page = client.get(url("order", paid), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Modifications gratuites jusqu’au" in page


def test_customer_moves_from_the_move_page_through_a_confirmation(client, paid, first, second):
    listing = client.get(url("order_move", paid)).content.decode()
    assert url("order_move_confirm", paid, second.pk) in listing
    confirm = client.get(url("order_move_confirm", paid, second.pk))
    assert confirm.status_code == 200 and "Yes, move my booking" in confirm.content.decode()
    paid.refresh_from_db()
    assert paid.slot_id == first.pk  # nothing moves on GET
    response = client.post(url("order_move_confirm", paid, second.pk), follow=True)
    assert "Your booking is moved" in response.content.decode()
    again = client.post(url("order_move_confirm", paid, second.pk))  # a double submit
    assert again.status_code == 302
    paid.refresh_from_db()
    assert paid.slot_id == second.pk and paid.moves_count == 1


@pytest.mark.parametrize("which", ["other-workshop", "huge", "full"])
def test_a_date_the_customer_may_not_move_to_is_not_found(client, paid, workshop, which):
    target_id = {
        "other-workshop": lambda: make_slot(WorkshopFactory(), 12).pk,
        "huge": lambda: 10**18,
        "full": lambda: make_slot(workshop, 12, capacity=1).pk,
    }[which]()
    assert client.get(url("order_move_confirm", paid, target_id)).status_code == 404
    response = client.post(url("order_move_confirm", paid, target_id), follow=True)
    assert response.status_code == 200 and "not" in response.content.decode()
    paid.refresh_from_db()
    assert paid.moves_count == 0


def test_customer_cancels_through_a_confirmation_that_says_the_amount(
    client, paid, django_capture_on_commit_callbacks
):
    page = client.get(url("order_cancel", paid)).content.decode()
    assert "80.00" in page and "refunded to the card" in page
    with django_capture_on_commit_callbacks(execute=True):
        for _click in range(2):
            assert client.post(url("order_cancel", paid)).status_code == 302
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    assert DevPayment.objects.get(reference=paid.payment_intent_id).refunded_cents == 8000


def test_after_the_deadline_the_cancel_screen_sends_back_with_the_reason(client, paid, first):
    with time_machine.travel(first.starts_at - timedelta(days=1)):
        response = client.post(url("order_cancel", paid), follow=True)
        assert "that time has passed" in response.content.decode()
        assert client.get(url("order_cancel", paid)).status_code == 302
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.CONFIRMED


def test_a_customer_of_a_cancelled_date_chooses_from_the_order_page(client, paid, first, second):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="Kiln broke")
    page = client.get(url("order", paid)).content.decode()
    assert "Date cancelled" in page and "Kiln broke" in page
    assert url("order_move", paid) in page and url("order_cancel", paid) in page
    client.post(url("order_move_confirm", paid, second.pk))
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED and paid.slot_id == second.pk
    assert paid.moves_count == 0


def test_a_pending_request_is_withdrawn_from_the_order_page(
    client, first, workshop, django_capture_on_commit_callbacks
):
    on_request = TicketTypeFactory(workshop=workshop, requires_confirmation=True)
    order = place(first, {on_request.pk: 1})
    pay_on_dev_gateway(order)
    assert url("order_withdraw", order) in client.get(url("order", order)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("order_withdraw", order))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert DevPayment.objects.get(reference=order.payment_intent_id).status == "cancelled"


@pytest.mark.parametrize("name", ["order_move", "order_cancel", "order_withdraw"])
def test_an_unknown_token_is_not_found(client, name):
    fake = Order(token="x" * 43)
    assert client.get(url(name, fake)).status_code == 404
    assert client.post(url(name, fake)).status_code in (404, 405)
