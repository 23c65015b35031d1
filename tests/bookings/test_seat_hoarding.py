"""One customer cannot hold more seats than one booking: the same form twice gives one order, a new
booking replaces the earlier unpaid one, and leaving the payment page gives the seats back."""

import re
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from bookings.models import DevPayment, Order, Slot
from bookings.states import OrderStatus
from tests.factories import PendingOrderFactory, SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def slot():
    return SlotFactory(capacity=6, workshop=WorkshopFactory(price_cents=4000))


@pytest.fixture
def adult(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


def book_url(slot):
    return reverse("storefront:book", args=[slot.workshop.slug, slot.pk])


def form_token(client, slot) -> str:
    html = client.get(book_url(slot)).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def booking(adult, qty, token, **overrides):
    data = {
        f"qty_{adult.pk}": str(qty),
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "customer_phone": "06 12 34 56 78",
        "form_token": token,
    }
    data.update(overrides)
    return data


def seats_taken(slot) -> int:
    return Slot.objects.get(pk=slot.pk).seats_taken


def test_each_display_of_the_form_has_its_own_token(client, slot, adult):
    assert form_token(client, slot) != form_token(client, slot)


def test_the_same_form_submitted_twice_gives_back_the_same_order(client, slot, adult):
    token = form_token(client, slot)
    first = client.post(book_url(slot), booking(adult, 2, token))
    second = client.post(book_url(slot), booking(adult, 2, token))
    assert first.status_code == second.status_code == 302
    assert first.url == second.url  # the same payment page
    order = Order.objects.get()
    assert DevPayment.objects.count() == 1
    assert order.seats == 2 and seats_taken(slot) == 2


def test_a_new_booking_replaces_the_customers_earlier_unpaid_one(client, slot, adult):
    client.post(book_url(slot), booking(adult, 4, form_token(client, slot)))
    earlier = Order.objects.get()
    response = client.post(
        book_url(slot),
        booking(adult, 1, form_token(client, slot), customer_email="ADA@Example.com"),
    )
    assert response.status_code == 302
    earlier.refresh_from_db()
    assert earlier.status == OrderStatus.EXPIRED and not earlier.holds_seats
    assert earlier.status_changes.last().message.startswith("replaced")
    latest = Order.objects.exclude(pk=earlier.pk).get()
    assert latest.status == OrderStatus.PENDING_PAYMENT and latest.holds_seats
    assert seats_taken(slot) == 1


def test_another_customers_hold_is_left_alone(client, slot, adult):
    client.post(book_url(slot), booking(adult, 2, form_token(client, slot)))
    client.post(
        book_url(slot),
        booking(adult, 3, form_token(client, slot), customer_email="bob@example.com"),
    )
    assert Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count() == 2
    assert seats_taken(slot) == 5


def test_a_paid_order_is_not_replaced_by_a_second_booking(client, slot, adult):
    response = client.post(book_url(slot), booking(adult, 2, form_token(client, slot)))
    client.post(response.url, {"action": "pay"})
    client.post(book_url(slot), booking(adult, 1, form_token(client, slot)))
    assert Order.objects.filter(status=OrderStatus.CONFIRMED).count() == 1
    assert seats_taken(slot) == 3


def test_leaving_the_payment_page_gives_the_seats_back_at_once(client, slot, adult):
    response = client.post(book_url(slot), booking(adult, 3, form_token(client, slot)))
    payment = DevPayment.objects.get()
    assert payment.cancel_url.endswith(
        reverse("storefront:checkout_leave", args=[Order.objects.get().token])
    )
    assert seats_taken(slot) == 3
    page = client.post(response.url, {"action": "cancel"}, follow=True)
    order = Order.objects.get()
    assert order.status == OrderStatus.EXPIRED and seats_taken(slot) == 0
    assert "your seats are given back" in page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("storefront:order", args=[order.token])


def test_the_leave_link_after_paying_changes_nothing(client, slot, adult):
    response = client.post(book_url(slot), booking(adult, 2, form_token(client, slot)))
    client.post(response.url, {"action": "pay"})
    order = Order.objects.get()
    client.get(reverse("storefront:checkout_leave", args=[order.token]))
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and seats_taken(slot) == 2


def test_the_leave_link_with_a_wrong_token_is_404(client):
    assert client.get(reverse("storefront:checkout_leave", args=["x" * 40])).status_code == 404


def test_the_booking_form_states_how_long_the_seats_are_held(client, slot, adult, settings):
    assert "held for 15 minutes while you pay" in client.get(book_url(slot)).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_post_racing_gives_one_order(postgres_only):
    slot = SlotFactory(capacity=6, workshop=WorkshopFactory(price_cents=4000))
    adult = TicketTypeFactory(workshop=slot.workshop, price_cents=4000)
    token = form_token(Client(), slot)
    barrier = threading.Barrier(4)
    answers: list[str] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            response = Client().post(book_url(slot), booking(adult, 2, token))
            answer = f"{response.status_code} {response.get('Location')}"
        except Exception as exc:  # noqa: BLE001 - a failure must show in the assertion
            answer = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4 and len(set(answers)) == 1, answers
    assert answers[0].startswith("302 ")
    assert Order.objects.filter(slot=slot).count() == 1
    assert seats_taken(slot) == 2


def test_going_back_and_booking_fewer_seats_uses_the_customers_own_hold(client, slot, adult):
    # Two displays of the form (the slot is full once the first booking holds its 6 seats).
    first, second = form_token(client, slot), form_token(client, slot)
    client.post(book_url(slot), booking(adult, 6, first))
    assert seats_taken(slot) == 6
    response = client.post(book_url(slot), booking(adult, 4, second))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert seats_taken(slot) == 4
    other = client.post(
        book_url(slot),
        booking(adult, 3, form_token(client, slot), customer_email="bob@example.com"),
    )
    assert other.status_code == 400 and "Only 2 seats are left" in other.content.decode()


def test_an_order_the_artisan_accepted_and_awaits_payment_is_not_replaced(client, slot, adult):
    accepted = PendingOrderFactory(
        slot=slot, customer_email="ada@example.com", status=OrderStatus.PENDING_PAYMENT
    )  # accepted after its card hold lapsed: a payment link was sent
    client.post(book_url(slot), booking(adult, 1, form_token(client, slot)))
    accepted.refresh_from_db()
    assert accepted.status == OrderStatus.PENDING_PAYMENT
    assert Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count() == 2
