"""Gift card pages: buy (paid on the dev gateway), the printable card, the balance, and the code
field of the booking form (part or all of a booking)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.localtime import site_today
from bookings.models import DevPayment, GiftCard, Order
from bookings.payments import get_gateway
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.services.payments import payment_event_process
from bookings.states import GiftCardStatus, OrderStatus
from notifications.models import Notification
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
BUY = reverse("storefront:giftcard_buy")
BALANCE = reverse("storefront:giftcard_balance")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def active_card(amount=5000) -> GiftCard:
    card = giftcard_create(amount_cents=amount, buyer_name="Ada", buyer_email="ada@example.com")
    return giftcard_issue(gift_card_id=card.pk)


def buy_data(**overrides):
    data = {
        "amount_choice": "5000",
        "amount_other": "",
        "people": "1",
        "buyer_name": "Ada Lovelace",
        "buyer_email": "ada@example.com",
        "recipient_name": "Bob",
        "recipient_email": "bob@example.com",
        "message": "Happy birthday!",
        "send_on": site_today().isoformat(),
    }
    data.update(overrides)
    return data


# --- buy ----------------------------------------------------------------------------------------


def test_the_storefront_header_and_workshop_page_link_to_gift_cards(client):
    workshop = WorkshopFactory()
    home = client.get(reverse("storefront:home")).content.decode()
    assert f'href="{BUY}"' in home
    page = client.get(reverse("storefront:workshop", args=[workshop.slug])).content.decode()
    assert f"{BUY}?workshop={workshop.slug}" in page


def test_buying_a_card_pays_on_the_gateway_then_emails_the_recipient_and_a_receipt(client):
    response = client.post(BUY, buy_data())
    card = GiftCard.objects.get()
    assert card.status == GiftCardStatus.PENDING_PAYMENT
    payment = DevPayment.objects.get()
    assert response.url == reverse("storefront:dev_checkout", args=[payment.reference])
    assert payment.amount_cents == 5000 and not payment.manual_capture
    assert not Notification.objects.exists()  # nothing before the money

    back = client.post(response.url, {"action": "pay"})
    page = client.get(back.url, follow=True)
    card.refresh_from_db()
    assert card.status == GiftCardStatus.ACTIVE and card.balance_cents == 5000
    body = page.content.decode()
    assert card.display_code in body and "<svg" in body and "Happy birthday!" in body
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    delivery = Notification.objects.get(recipient="bob@example.com")
    assert card.display_code in delivery.body_text
    assert reverse("storefront:giftcard_print", args=[card.token]) in delivery.body_text
    receipt = Notification.objects.get(recipient="ada@example.com")
    assert "Receipt" in receipt.subject


def test_a_card_for_a_later_day_is_not_sent_yet_and_to_print_goes_to_the_buyer(client):
    later = (site_today() + timedelta(days=10)).isoformat()
    response = client.post(BUY, buy_data(send_on=later))
    client.post(response.url, {"action": "pay"})
    assert not Notification.objects.filter(recipient="bob@example.com").exists()
    response = client.post(BUY, buy_data(for_me="on", recipient_email="", recipient_name=""))
    client.post(response.url, {"action": "pay"})
    assert Notification.objects.filter(
        recipient="ada@example.com", template="bookings/emails/giftcard_delivery"
    ).exists()


def test_this_workshop_for_three_people_costs_three_seats_at_todays_price(client):
    workshop = WorkshopFactory(price_cents=4500, title="Bread")
    client.post(f"{BUY}?workshop={workshop.slug}", buy_data(amount_choice="workshop", people="3"))
    assert GiftCard.objects.get().amount_cents == 13500


@pytest.mark.parametrize(
    "overrides",
    [
        {"send_on": "9999-01-01"},
        {"send_on": "2026-02-30"},
        {"send_on": (site_today() - timedelta(days=1)).isoformat()},
        {"send_on": (site_today() + timedelta(days=400)).isoformat()},
        {"amount_choice": "other", "amount_other": "5"},
        {"amount_choice": "other", "amount_other": "100000"},
        {"amount_choice": "other", "amount_other": ""},
        {"amount_choice": "123"},
        {"amount_choice": "workshop"},  # no workshop given
        {"recipient_email": ""},
        {"message": "x" * 1_000_000},
        {"buyer_email": "not-an-email"},
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(client, overrides):
    response = client.post(BUY, buy_data(**overrides))
    assert response.status_code == 400
    assert not GiftCard.objects.exists() and not DevPayment.objects.exists()


def test_the_printable_card_is_404_for_a_wrong_token(client):
    active_card()
    assert client.get(reverse("storefront:giftcard_print", args=["x" * 43])).status_code == 404


# --- balance ------------------------------------------------------------------------------------


def test_the_balance_page_shows_what_is_left_expiry_and_every_use(client):
    card = active_card(amount=5000)
    typed = card.display_code.lower().replace("-", " ")
    response = client.post(BALANCE, {"code": typed})
    body = response.content.decode()
    assert response.status_code == 200
    assert "€50.00 left" in body and "Issued" in body
    assert "private" in response["Cache-Control"]


def test_the_balance_page_says_an_expired_card_has_expired(client):
    card = active_card()
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(days=1))
    body = client.post(BALANCE, {"code": card.code}).content.decode()
    assert "expired on" in body and "no longer be used" in body


def test_a_wrong_code_is_a_form_error_and_guessing_is_rate_limited(client, settings):
    settings.RATE_LIMIT_GIFT_CARD_CODES = "3/h"
    for _n in range(3):
        response = client.post(BALANCE, {"code": "ACDE-FGHJ-KMNP"})
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert client.post(BALANCE, {"code": "ACDE-FGHJ-KMNP"}).status_code == 429


def test_a_code_of_the_wrong_shape_says_so(client):
    response = client.post(BALANCE, {"code": "x" * 1000})
    assert response.status_code == 400


def test_french_balance_page(client):
    card = active_card(amount=5000)
    response = client.post(BALANCE, {"code": card.code}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "50,00" in response.content.decode()


# --- redeem on the booking form -----------------------------------------------------------------


@pytest.fixture
def adult():
    slot = SlotFactory(capacity=4, workshop=WorkshopFactory(price_cents=4000))
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


def book_url(ticket_type):
    slot = ticket_type.workshop.slots.get()
    return reverse("storefront:book", args=[slot.workshop.slug, slot.pk])


def book_data(ticket_type, qty, **overrides):
    data = {
        f"qty_{ticket_type.pk}": str(qty),
        "customer_name": "Cleo",
        "customer_email": "cleo@example.com",
        "customer_phone": "06 12 34 56 78",
    }
    data.update(overrides)
    return data


def test_apply_shows_the_balance_and_what_remains_without_booking(client, adult):
    card = active_card(amount=5000)
    response = client.post(
        book_url(adult), book_data(adult, 2, gift_code=card.code, apply_gift="1")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Balance on the card: €50.00" in body and "Left to pay by card: €30.00" in body
    assert not Order.objects.exists()


def test_part_by_gift_card_sends_only_the_rest_to_the_card_payment(client, adult):
    card = active_card(amount=5000)
    response = client.post(book_url(adult), book_data(adult, 2, gift_code=card.display_code))
    payment = DevPayment.objects.get()
    assert response.url.endswith(reverse("storefront:dev_checkout", args=[payment.reference]))
    assert payment.amount_cents == 3000
    client.post(response.url, {"action": "pay"})
    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED
    page = client.get(reverse("storefront:order", args=[order.token])).content.decode()
    assert "Paid by gift card" in page and "€50.00" in page and "€30.00" in page


def test_all_by_gift_card_has_no_card_step(client, adult):
    card = active_card(amount=10000)
    response = client.post(book_url(adult), book_data(adult, 1, gift_code=card.code))
    order = Order.objects.get()
    assert response.url == reverse("storefront:order", args=[order.token])
    assert order.status == OrderStatus.CONFIRMED and not DevPayment.objects.exists()
    card.refresh_from_db()
    assert card.balance_cents == 6000


def test_an_unknown_or_expired_code_is_a_form_error_and_books_nothing(client, adult):
    response = client.post(book_url(adult), book_data(adult, 1, gift_code="ACDE-FGHJ-KMNP"))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    card = active_card()
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(days=1))
    response = client.post(book_url(adult), book_data(adult, 1, gift_code=card.code))
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not Order.objects.exists()


def test_an_empty_post_of_the_booking_form_is_a_form_page_not_an_error(client, adult):
    assert client.post(book_url(adult), {}).status_code == 400
    assert client.post(book_url(adult), {"apply_gift": "1"}).status_code == 400


def test_a_replayed_payment_event_issues_the_card_once(client):
    response = client.post(BUY, buy_data())
    payment = DevPayment.objects.get()
    gateway = get_gateway("dev")
    event = gateway.event_for(gateway.customer_pays(payment.reference), "paid")
    assert payment_event_process(provider="dev", event=event) == "processed"
    assert payment_event_process(provider="dev", event=event) == "replay"
    card = GiftCard.objects.get()
    assert card.status == GiftCardStatus.ACTIVE and card.entries.count() == 1
    assert Notification.objects.filter(recipient="ada@example.com").count() == 1  # one receipt
    assert response.status_code == 302
