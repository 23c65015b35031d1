"""Issue 15: a confirm-first order holds its seats while the artisan decides; beyond capacity it waits.

Orders are placed through the storefront's path (`order_place`) and authorised on the dev gateway.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from bookings.models import Order, Slot
from bookings.payments.dev import DevGateway
from bookings.services import order_apply_payment_state, order_start_payment
from bookings.services.orders_create import order_place
from bookings.services.refunds import order_cancel_and_refund
from bookings.states import OrderStatus
from pending_orders import services
from tests.factories import ConfirmFirstTicketTypeFactory, SlotFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot():
    return SlotFactory(capacity=8, workshop__is_published=True)


@pytest.fixture
def on_request(slot):
    return ConfirmFirstTicketTypeFactory(workshop=slot.workshop)


def book(slot, ticket_type, seats=1, email="ines@example.com") -> Order:
    """A customer books on the storefront and authorises their card on the dev gateway."""
    order = order_place(
        slot_id=slot.pk,
        quantities={ticket_type.pk: seats},
        customer_name="Inès",
        customer_email=email,
    )
    session = order_start_payment(order_id=order.pk, return_url="/", cancel_url="/")
    return order_apply_payment_state(
        order_id=order.pk, state=DevGateway().customer_pays(session.reference)
    )


def seats_taken(slot) -> int:
    return Slot.objects.get(pk=slot.pk).seats_taken


def decide(action, orders, capture, **kw):
    with capture(execute=True):
        return getattr(services, action)(
            artisan=orders[0].slot.workshop.artisan, order_ids=[o.pk for o in orders], **kw
        )


def test_orders_awaiting_confirmation_hold_their_seats_on_the_public_page(client, slot, on_request):
    orders = [book(slot, on_request, email=f"c{n}@example.com") for n in range(3)]
    assert all(o.status == OrderStatus.AWAITING_CONFIRMATION and o.holds_seats for o in orders)
    assert seats_taken(slot) == 3
    page = client.get(reverse("storefront:workshop", args=[slot.workshop.slug])).content.decode()
    assert "5 seats left" in page and "8 seats left" not in page
    assert "Join the waiting list" not in page


def test_a_full_slot_with_tickets_on_request_offers_the_waiting_list(client, slot, on_request):
    instant = TicketTypeFactory(workshop=slot.workshop)
    order_place(
        slot_id=slot.pk,
        quantities={instant.pk: 8},
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    url = reverse("storefront:workshop", args=[slot.workshop.slug])
    page = client.get(url).content.decode()
    assert "Full" in page and "Join the waiting list" in page
    on_request.is_active = False
    on_request.save()  # through the admin, say: the page's version follows the ticket type
    page = client.get(url).content.decode()
    assert "Full" in page and "Join the waiting list" not in page


def test_refusing_releases_the_seats_at_once(
    slot, on_request, celery_eager, django_capture_on_commit_callbacks
):
    order = book(slot, on_request, seats=3)
    assert seats_taken(slot) == 3
    decide(
        "orders_refuse",
        [order],
        django_capture_on_commit_callbacks,
        message="Full that day, sorry.",
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUSED and not order.holds_seats
    assert seats_taken(slot) == 0


def test_expiring_releases_the_seats(
    slot, on_request, celery_eager, django_capture_on_commit_callbacks
):
    order = book(slot, on_request, seats=2)
    assert seats_taken(slot) == 2
    with (
        time_machine.travel(order.decide_by + timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.orders_expire_overdue() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.EXPIRED
    assert seats_taken(slot) == 0


def test_cancelling_a_pending_order_releases_the_seats(
    slot, on_request, django_capture_on_commit_callbacks
):
    order = book(slot, on_request, seats=2)
    assert seats_taken(slot) == 2
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=order.pk, reason="Customer asked")
    assert seats_taken(slot) == 0


def test_accepting_does_not_count_the_seats_twice(
    slot, on_request, celery_eager, django_capture_on_commit_callbacks
):
    order = book(slot, on_request, seats=2)
    book(slot, on_request, seats=1, email="other@example.com")
    assert seats_taken(slot) == 3
    batch = decide("orders_accept", [order], django_capture_on_commit_callbacks)
    assert batch.done_ids == [order.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.holds_seats
    assert seats_taken(slot) == 3


def test_beyond_capacity_the_order_waits_holding_no_seat_and_says_so(
    client, slot, on_request, celery_eager, django_capture_on_commit_callbacks
):
    instant = TicketTypeFactory(workshop=slot.workshop)
    order_place(
        slot_id=slot.pk,
        quantities={instant.pk: 7},
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        waiting = book(slot, on_request, seats=2)
    assert waiting.status == OrderStatus.AWAITING_CONFIRMATION
    assert waiting.on_waiting_list and not waiting.holds_seats
    assert seats_taken(slot) == 7
    page = client.get(reverse("storefront:order", args=[waiting.token])).content.decode()
    assert "You are on the waiting list: the artisan accepts if a seat frees up." in page
    pending_email = [m for m in mail.outbox if m.to == ["ines@example.com"]]
    assert len(pending_email) == 1 and "You are on the waiting list" in pending_email[0].body
    # An order within capacity is not on the list, and its email does not say so.
    held = book(slot, on_request, seats=1, email="held@example.com")
    assert held.holds_seats and not held.on_waiting_list
    held_page = client.get(reverse("storefront:order", args=[held.token])).content.decode()
    assert "waiting list" not in held_page


def test_accepting_a_waiting_list_order_when_full_fails_cleanly(
    slot, on_request, celery_eager, django_capture_on_commit_callbacks
):
    first = book(slot, on_request, seats=6)
    waiting = book(slot, on_request, seats=3, email="late@example.com")
    assert waiting.on_waiting_list and seats_taken(slot) == 6
    batch = decide("orders_accept", [waiting], django_capture_on_commit_callbacks)
    assert batch.done_ids == [] and "Not enough seats left" in str(batch.errors)
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.AWAITING_CONFIRMATION and not waiting.holds_seats
    assert seats_taken(slot) == 6
    # A seat frees up (the first is refused): now it can be accepted, and takes its seats then.
    decide("orders_refuse", [first], django_capture_on_commit_callbacks, message="Sorry")
    batch = decide("orders_accept", [waiting], django_capture_on_commit_callbacks)
    assert batch.done_ids == [waiting.pk]
    assert seats_taken(slot) == 3


def test_participants_page_lists_orders_awaiting_confirmation_apart(client, slot, on_request):
    instant = TicketTypeFactory(workshop=slot.workshop)
    order_place(
        slot_id=slot.pk,
        quantities={instant.pk: 6},
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    held = book(slot, on_request, seats=2, email="held@example.com")
    waiting = book(slot, on_request, seats=1, email="wait@example.com")
    client.force_login(slot.workshop.artisan.user)
    page = client.get(reverse("backoffice:slot_participants", args=[slot.pk])).content.decode()
    section = page[page.index('class="awaiting-confirmation"') :]
    assert (
        "Awaiting your confirmation" in section
        and "2 orders" in section
        and "2 seats held" in section
    )
    assert held.reference in section and waiting.reference in section
    assert section.count("Waiting list") == 1
    confirmed = page[: page.index('class="awaiting-confirmation"')]
    assert held.reference not in confirmed
