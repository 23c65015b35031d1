"""Cancelling a booking for a gift card of its value (bookings/services/changes.py
`order_cancel_to_gift_card`): before the change deadline, or as the third choice of the customers
of a cancelled date. Nothing goes back to the bank card, ever; the card is sent by email."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from bookings.models import DevPayment, GiftCard
from bookings.services import BookingError, orders_settle_payments
from bookings.services.changes import order_cancel_to_gift_card, orders_refund_unchosen
from bookings.services.slots import slot_cancel
from bookings.states import CUSTOMER, OrderStatus
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _refunded(order) -> int:
    return DevPayment.objects.get(reference=order.payment_intent_id).refunded_cents


def test_before_the_deadline_the_booking_becomes_a_gift_card_of_its_value(
    paid, first, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        card = order_cancel_to_gift_card(order_id=paid.pk, actor=CUSTOMER)
        orders_settle_payments()  # the refund sweeper finds nothing to pay back in cash
    paid.refresh_from_db()
    first.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED and first.seats_taken == 0
    assert card.amount_cents == card.balance_cents == paid.total_cents == 8000
    assert card.expires_at - timezone.now() > timedelta(days=364)
    assert _refunded(paid) == 0
    # A second tap gives back the same card; the artisan is told once.
    assert order_cancel_to_gift_card(order_id=paid.pk, actor=CUSTOMER) == card
    assert GiftCard.objects.count() == 1
    told = Notification.objects.filter(idempotency_key__startswith=f"order:{paid.pk}:gift_card:")
    assert told.filter(channel="email").count() == 1
    assert "gift card" in told.get(channel="email").body_text


def test_after_the_deadline_it_is_refused_and_nothing_changes(paid, first):
    with time_machine.travel(first.starts_at - timedelta(days=3)):
        with pytest.raises(BookingError, match="4 days before"):
            order_cancel_to_gift_card(order_id=paid.pk, actor=CUSTOMER)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED and not GiftCard.objects.exists()


def test_the_customer_of_a_cancelled_date_may_choose_a_gift_card(
    paid, first, django_capture_on_commit_callbacks
):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="Kiln broke")
    paid.refresh_from_db()
    assert paid.status == OrderStatus.AWAITING_CHOICE
    with time_machine.travel(first.starts_at - timedelta(days=1)):  # past the usual deadline
        card = order_cancel_to_gift_card(order_id=paid.pk, actor=CUSTOMER)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED and paid.choose_by is None
    assert card.balance_cents == 8000
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        with django_capture_on_commit_callbacks(execute=True):
            assert orders_refund_unchosen() == 0  # chosen: the 14-day sweep leaves it alone
    assert _refunded(paid) == 0


def test_the_pages_confirm_first_then_land_on_the_printable_card(client, paid):
    order_page = client.get(reverse("storefront:order", args=[paid.token])).content.decode()
    url = reverse("storefront:order_gift_card", args=[paid.token])
    assert url in order_page
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert confirm.status_code == 200 and "carte cadeau" in confirm.content.decode()
    assert not GiftCard.objects.exists()  # a GET changes nothing
    response = client.post(url)
    card = GiftCard.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:giftcard_print", args=[card.token])
    again = client.post(url)  # a double click: the same card
    assert again["Location"] == response["Location"] and GiftCard.objects.count() == 1
    assert client.get(url)["Location"] == response["Location"]


def test_another_token_is_a_404(client, paid):
    response = client.post(reverse("storefront:order_gift_card", args=["x" * 43]))
    assert response.status_code == 404
    assert not GiftCard.objects.exists()


def test_a_move_is_written_in_the_history_in_the_workshops_time_zone(paid, first, second):
    from bookings.formatting import format_when
    from bookings.services.changes import order_rebook

    order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    message = paid.status_changes.last().message
    with timezone.override(first.workshop.tzinfo):  # Europe/Paris, not UTC
        expected = format_when(first.starts_at, "datetime")
    assert expected in message


def test_the_artisans_order_page_says_how_it_was_paid(client, first, adult):
    from bookings.services import order_place
    from bookings.services.giftcards import giftcard_create, giftcard_issue
    from bookings.states import Actor

    card = giftcard_create(
        amount_cents=3000, buyer_name="Ann", buyer_email="ann@example.com", language="en"
    )
    giftcard_issue(gift_card_id=card.pk, actor=Actor.ops())
    order = order_place(
        slot_id=first.pk,
        quantities={adult.pk: 2},
        customer_name="Cleo",
        customer_email="cleo@example.com",
        gift_card_code=card.code,
        gift_card_cents=3000,
    )
    client.force_login(first.workshop.artisan.user)
    page = client.get(reverse("backoffice:order", args=[order.reference])).content.decode()
    assert "Paid by gift card" in page and f"(…{card.code[-4:]})" in page
    assert "€30.00" in page and "€50.00" in page  # 30 by gift card, 50 by bank card
