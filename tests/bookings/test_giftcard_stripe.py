"""A gift card bought through Stripe: the signed webhook (about the PaymentIntent, not the Checkout
Session the card points at) issues it, once."""

import pytest
from django.urls import reverse

from bookings.models import GiftCard
from bookings.services.giftcard_purchase import giftcard_start_payment
from bookings.services.giftcards import giftcard_create
from bookings.states import GiftCardStatus
from tests.bookings import stripe_fake as fake
from tests.conftest import STRIPE_WEBHOOK_SECRET as WEBHOOK_SECRET

pytestmark = pytest.mark.django_db


def test_the_stripe_webhook_issues_a_bought_card_once(client, stripe_http):
    card = giftcard_create(amount_cents=5000, buyer_name="Ada", buyer_email="ada@example.com")
    metadata = {"gift_card_id": str(card.pk)}
    stripe_http.on("POST", "/v1/checkout/sessions", fake.checkout_session(metadata=metadata))
    giftcard_start_payment(gift_card_id=card.pk, return_url="http://t/b", cancel_url="http://t/c")
    card.refresh_from_db()
    assert card.payment_provider == "stripe" and card.payment_intent_id.startswith("cs_")
    stripe_http.on(
        "GET",
        "/v1/payment_intents/pi_3PabcDEF",
        fake.payment_intent("succeeded", amount=5000, metadata=metadata),
    )
    payload = fake.event(
        "checkout.session.completed",
        fake.checkout_session(
            status="complete",
            payment_status="paid",
            payment_intent="pi_3PabcDEF",
            metadata=metadata,
        ),
    )
    url = reverse("storefront:stripe_webhook")
    headers = {"HTTP_STRIPE_SIGNATURE": fake.sign(payload, WEBHOOK_SECRET)}
    first = client.post(url, payload, content_type="application/json", **headers)
    again = client.post(url, payload, content_type="application/json", **headers)
    assert first.content == b"processed" and again.content == b"replay"
    card = GiftCard.objects.get()
    assert card.status == GiftCardStatus.ACTIVE and card.balance_cents == 5000
    assert card.entries.count() == 1
