"""Accepting waiting-list orders when no seat is free: the confirm screen says so before the action,
for each order that would stay pending."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from bookings.models import Slot
from bookings.states import OrderStatus
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def signed_in(client, artisan):
    client.login(
        request=RequestFactory().post("/"), username=artisan.user.username, password=PASSWORD
    )
    return client


def full_slot(artisan, capacity=4, taken=3):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=capacity)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=taken)
    return slot


def waiting(slot, seats):
    return PendingOrderFactory(slot=slot, seats=seats, holds_seats=False)


def confirm_step(client, orders, action="accept"):
    return client.post(
        reverse("pending_orders:action"), {"action": action, "order": [o.pk for o in orders]}
    )


def test_accepting_waiting_orders_without_a_free_seat_says_so_before_the_action(signed_in, artisan):
    slot = full_slot(artisan, capacity=6, taken=3)  # + the 2 seats held below: 1 free
    fits, too_big, after = waiting(slot, 1), waiting(slot, 2), waiting(slot, 1)
    holding = PendingOrderFactory(slot=slot, seats=2, holds_seats=True)
    html = confirm_step(signed_in, [fits, too_big, after, holding]).content.decode()
    # One seat is free: the first order takes it; the two after it stay pending.
    assert "No seat is free for 2 of these orders (on the waiting list)" in html
    rows = {
        o.reference: row
        for o in (fits, too_big, after, holding)
        for row in html.split("<li>")
        if o.reference in row
    }
    assert "stays pending" not in rows[fits.reference]
    assert "stays pending" in rows[too_big.reference]
    assert "stays pending" in rows[after.reference]
    assert "stays pending" not in rows[holding.reference]
    for order in (fits, too_big, after, holding):
        order.refresh_from_db()
        assert order.status == OrderStatus.AWAITING_CONFIRMATION  # nothing done yet


def test_no_warning_when_every_order_has_a_seat(signed_in, artisan):
    slot = full_slot(artisan, capacity=10, taken=2)
    html = confirm_step(signed_in, [waiting(slot, 2), waiting(slot, 3)]).content.decode()
    assert "No seat is free" not in html and "stays pending" not in html


def test_refusing_says_nothing_about_seats(signed_in, artisan):
    slot = full_slot(artisan, capacity=2, taken=2)
    html = confirm_step(signed_in, [waiting(slot, 2)], action="refuse").content.decode()
    assert "No seat is free" not in html


def test_the_warning_in_french(signed_in, artisan):
    slot = full_slot(artisan, capacity=2, taken=2)
    signed_in.cookies["django_language"] = "fr"
    response = signed_in.post(
        reverse("pending_orders:action"),
        {"action": "accept", "order": [waiting(slot, 1).pk]},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "Aucune place n’est libre pour 1 de ces commandes" in response.content.decode()


def test_the_orders_it_names_are_the_ones_the_accept_leaves_pending(
    signed_in, artisan, gateway, django_capture_on_commit_callbacks
):
    slot = full_slot(artisan, capacity=4, taken=3)
    fits, too_big = waiting(slot, 1), waiting(slot, 2)
    assert "stays pending" in confirm_step(signed_in, [fits, too_big]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            reverse("pending_orders:action"),
            {"action": "accept", "order": [fits.pk, too_big.pk], "confirmed": "1"},
        )
    fits.refresh_from_db()
    too_big.refresh_from_db()
    assert fits.status in (OrderStatus.CAPTURING, OrderStatus.CONFIRMED)
    assert too_big.status == OrderStatus.AWAITING_CONFIRMATION


def test_the_pending_orders_row_shows_a_waiting_list_order(signed_in, artisan):
    slot = full_slot(artisan, capacity=4, taken=2)
    on_the_list = waiting(slot, 1)
    held = PendingOrderFactory(slot=slot, seats=1, holds_seats=True)
    html = signed_in.get(reverse("pending_orders:list")).content.decode()
    rows = {
        o.reference: html.split(o.reference, 1)[1].split("</tr>", 1)[0] for o in (on_the_list, held)
    }
    assert "Waiting list" in rows[on_the_list.reference]
    assert "Waiting list" not in rows[held.reference]
