"""The Stripe adapter through the real `stripe` client, HTTP faked with recorded responses."""

from datetime import UTC, datetime

import pytest
import stripe
from django.urls import reverse

from bookings.models import Order, PaymentEvent, WebhookEvent
from bookings.payments import (
    AuthorisationLapsed,
    IntentStatus,
    PaymentDeclined,
    PaymentError,
    PaymentUnavailable,
    get_gateway,
)
from bookings.payments.stripe_gateway import StripeGateway
from bookings.services import order_cancel_and_refund, order_place, order_start_payment
from bookings.states import OrderStatus, PaymentEventKind
from tests.bookings import stripe_fake as fake
from tests.conftest import STRIPE_WEBHOOK_SECRET as WEBHOOK_SECRET
from tests.factories import SlotFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def http(stripe_http):
    return stripe_http


@pytest.fixture
def gateway(http):
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    return gateway


def create(gateway, manual=False):
    return gateway.create_payment(
        amount_cents=8000,
        currency="EUR",
        description="Wheel throwing",
        manual_capture=manual,
        customer_email="ada@example.com",
        return_url="http://t/back",
        cancel_url="http://t/cancel",
        metadata={"order_id": 1},
        idempotency_key="order:1:checkout",
    )


def test_create_opens_a_checkout_session_with_automatic_capture(gateway, http):
    http.on("POST", "/v1/checkout/sessions", fake.checkout_session())
    session = create(gateway)
    assert session.provider == "stripe" and session.reference == "cs_test_a1B2c3"
    assert session.redirect_url.startswith("https://checkout.stripe.com/")
    call = http.calls[0]
    assert call["url"].startswith("http://127.0.0.1:12111/v1/checkout/sessions")  # STRIPE_API_BASE
    assert call["headers"]["Idempotency-Key"] == "order:1:checkout"
    assert call["params"]["payment_intent_data[capture_method]"] == ["automatic"]
    assert call["params"]["line_items[0][price_data][unit_amount]"] == ["8000"]
    assert call["params"]["line_items[0][price_data][currency]"] == ["eur"]
    assert call["params"]["metadata[order_id]"] == ["1"]


def test_create_for_confirm_first_uses_manual_capture(gateway, http):
    http.on("POST", "/v1/checkout/sessions", fake.checkout_session())
    create(gateway, manual=True)
    assert http.calls[0]["params"]["payment_intent_data[capture_method]"] == ["manual"]


def test_retrieve_an_authorised_payment_gives_capture_before(gateway, http):
    http.on(
        "GET",
        "/v1/checkout/sessions/cs_test_a1B2c3",
        fake.checkout_session(
            status="complete",
            payment_status="unpaid",
            payment_intent=fake.payment_intent("requires_capture"),
        ),
    )
    state = gateway.retrieve("cs_test_a1B2c3")
    assert state.status == IntentStatus.AUTHORISED and state.reference == "pi_3PabcDEF"
    assert state.capture_before == datetime.fromtimestamp(fake.CAPTURE_BEFORE, tz=UTC)
    assert state.amount_cents == 8000 and state.currency == "EUR"


def test_retrieve_an_unpaid_and_an_expired_session(gateway, http):
    http.on("GET", "/v1/checkout/sessions/cs_test_a1B2c3", fake.checkout_session())
    assert gateway.retrieve("cs_test_a1B2c3").status == IntentStatus.REQUIRES_PAYMENT
    http.routes.clear()
    http.on("GET", "/v1/checkout/sessions/cs_test_a1B2c3", fake.checkout_session(status="expired"))
    assert gateway.retrieve("cs_test_a1B2c3").status == IntentStatus.CANCELLED


def test_a_declined_attempt_keeps_the_payment_open_with_the_reason(gateway, http):
    http.on(
        "GET",
        "/v1/payment_intents/pi_3PabcDEF",
        fake.payment_intent(
            "requires_payment_method",
            latest_charge=None,
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "message": "Your card was declined.",
            },
        ),
    )
    state = gateway.retrieve("pi_3PabcDEF")
    assert (
        state.status == IntentStatus.REQUIRES_PAYMENT and state.error == "Your card was declined."
    )


def test_capture(gateway, http):
    http.on("POST", "/v1/payment_intents/pi_3PabcDEF/capture", fake.payment_intent("succeeded"))
    state = gateway.capture(
        reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="order:1:capture"
    )
    assert state.status == IntentStatus.SUCCEEDED and state.amount_cents == 8000
    assert http.calls[0]["headers"]["Idempotency-Key"] == "order:1:capture"
    assert http.calls[0]["params"]["amount_to_capture"] == ["8000"]


def test_card_declined_at_capture(gateway, http):
    status, body = fake.error(
        "card_error",
        "Your card was declined.",
        code="card_declined",
        status=402,
        decline_code="insufficient_funds",
    )
    http.on("POST", "/v1/payment_intents/pi_3PabcDEF/capture", body, status=status)
    with pytest.raises(PaymentDeclined, match="declined") as caught:
        gateway.capture(reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="k")
    assert caught.value.code == "card_declined" and not caught.value.transient


def test_capture_of_a_lapsed_authorisation(gateway, http):
    status, body = fake.error(
        "invalid_request_error",
        "This PaymentIntent could not be captured because it has a status of canceled.",
        code="payment_intent_unexpected_state",
    )
    http.on("POST", "/v1/payment_intents/pi_3PabcDEF/capture", body, status=status)
    with pytest.raises(AuthorisationLapsed, match="expired or was released"):
        gateway.capture(reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="k")


def test_api_error_is_unavailable(gateway, http):
    status, body = fake.error("api_error", "An unknown error occurred", status=500)
    http.on("POST", "/v1/checkout/sessions", body, status=status)
    with pytest.raises(PaymentUnavailable, match="try again") as caught:
        create(gateway)
    assert caught.value.transient


def test_timeout_is_unavailable(gateway, http):
    http.on("POST", "/v1/refunds", raises=stripe.APIConnectionError("Request timed out"))
    with pytest.raises(PaymentUnavailable, match="cannot be reached"):
        gateway.refund(reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="k")


def test_rate_limit_is_unavailable(gateway, http):
    status, body = fake.error(
        "invalid_request_error", "Too many requests", code="rate_limit", status=429
    )
    http.on("GET", "/v1/payment_intents/pi_3PabcDEF", body, status=status)
    with pytest.raises(PaymentUnavailable):
        gateway.retrieve("pi_3PabcDEF")


def test_cancel_releases_the_authorisation(gateway, http):
    http.on(
        "POST",
        "/v1/payment_intents/pi_3PabcDEF/cancel",
        fake.payment_intent("canceled", latest_charge=None),
    )
    state = gateway.cancel(reference="pi_3PabcDEF", idempotency_key="order:1:release")
    assert state.status == IntentStatus.CANCELLED
    assert http.calls[0]["headers"]["Idempotency-Key"] == "order:1:release"


def test_cancel_of_an_unpaid_checkout_expires_the_session(gateway, http):
    http.on("GET", "/v1/checkout/sessions/cs_test_a1B2c3", fake.checkout_session())
    http.on(
        "POST",
        "/v1/checkout/sessions/cs_test_a1B2c3/expire",
        fake.checkout_session(status="expired"),
    )
    assert (
        gateway.cancel(reference="cs_test_a1B2c3", idempotency_key="order:1:close").status
        == IntentStatus.CANCELLED
    )
    assert [c["path"] for c in http.calls] == [
        "/v1/checkout/sessions/cs_test_a1B2c3",
        "/v1/checkout/sessions/cs_test_a1B2c3/expire",
    ]


def test_refund(gateway, http):
    http.on("POST", "/v1/refunds", fake.refund())
    assert (
        gateway.refund(reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="order:1:refund")
        == "re_3PabcDEF"
    )
    call = http.calls[0]
    assert call["params"] == {"payment_intent": ["pi_3PabcDEF"], "amount": ["8000"]}
    assert call["headers"]["Idempotency-Key"] == "order:1:refund"


def test_refund_refused_by_stripe(gateway, http):
    status, body = fake.error(
        "invalid_request_error",
        "Charge ch_1 has already been refunded.",
        code="charge_already_refunded",
    )
    http.on("POST", "/v1/refunds", body, status=status)
    with pytest.raises(PaymentError, match="already been refunded"):
        gateway.refund(reference="pi_3PabcDEF", amount_cents=8000, idempotency_key="k")


# --- the webhook, end to end ------------------------------------------------------------------


@pytest.fixture
def placed_order(http):
    slot = SlotFactory(capacity=4)
    adult = TicketTypeFactory(workshop=slot.workshop, price_cents=4000)
    order = order_place(
        slot_id=slot.pk,
        quantities={adult.pk: 2},
        customer_name="Ada",
        customer_email="ada@example.com",
        customer_phone="",
        language="en",
    )
    http.on(
        "POST", "/v1/checkout/sessions", fake.checkout_session(metadata={"order_id": str(order.pk)})
    )
    order_start_payment(order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c")
    order.refresh_from_db()
    assert order.payment_provider == "stripe" and order.payment_intent_id == "cs_test_a1B2c3"
    return order


def post_webhook(client, payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client.post(
        reverse("storefront:stripe_webhook"), payload, content_type="application/json", **headers
    )


def completed_event(order, event_id="evt_1PabcDEF"):
    return fake.event(
        "checkout.session.completed",
        fake.checkout_session(
            status="complete",
            payment_status="paid",
            payment_intent="pi_3PabcDEF",
            metadata={"order_id": str(order.pk)},
        ),
        event_id=event_id,
    )


def test_webhook_confirms_the_order_after_refetching_the_payment(
    client, http, placed_order, django_capture_on_commit_callbacks
):
    http.on(
        "GET",
        "/v1/payment_intents/pi_3PabcDEF",
        fake.payment_intent("succeeded", metadata={"order_id": str(placed_order.pk)}),
    )
    payload = completed_event(placed_order)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET))
    assert response.status_code == 200 and response.content == b"processed"
    placed_order.refresh_from_db()
    assert placed_order.status == OrderStatus.CONFIRMED
    assert placed_order.payment_intent_id == "pi_3PabcDEF"
    assert placed_order.tickets.count() == 2
    assert any(c["path"] == "/v1/payment_intents/pi_3PabcDEF" for c in http.calls)

    # Then the artisan cancels the slot: refunded through Stripe with our idempotency key.
    http.on("POST", "/v1/refunds", fake.refund())
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=placed_order.pk, reason="Sorry")
    refund_call = [c for c in http.calls if c["path"] == "/v1/refunds"][0]
    assert refund_call["headers"]["Idempotency-Key"] == f"order:{placed_order.pk}:refund"
    assert PaymentEvent.objects.filter(
        order=placed_order, kind=PaymentEventKind.REFUNDED, provider_ref="re_3PabcDEF"
    ).exists()


def test_replayed_webhook_is_processed_once(client, http, placed_order):
    http.on("GET", "/v1/payment_intents/pi_3PabcDEF", fake.payment_intent("succeeded"))
    payload = completed_event(placed_order)
    assert post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET)).content == b"processed"
    calls = len(http.calls)
    response = post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET))
    assert response.status_code == 200 and response.content == b"replay"
    assert len(http.calls) == calls  # not even re-fetched
    assert WebhookEvent.objects.filter(provider="stripe", event_id="evt_1PabcDEF").count() == 1
    assert placed_order.tickets.count() == 2


@pytest.mark.parametrize("signature", [None, "t=1,v1=deadbeef", "garbage"])
def test_bad_or_missing_signature_is_rejected_and_changes_nothing(
    client, http, placed_order, signature
):
    payload = completed_event(placed_order)
    response = post_webhook(client, payload, signature)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    placed_order.refresh_from_db()
    assert placed_order.status == OrderStatus.PENDING_PAYMENT
    assert not any(c["path"].startswith("/v1/payment_intents") for c in http.calls)


def test_signature_with_another_secret_is_rejected(client, http, placed_order):
    payload = completed_event(placed_order)
    assert post_webhook(client, payload, fake.sign(payload, "whsec_other")).status_code == 400


def test_webhook_when_stripe_is_down_asks_for_a_retry(client, http, placed_order):
    http.on("GET", "/v1/payment_intents/pi_3PabcDEF", raises=stripe.APIConnectionError("timeout"))
    payload = completed_event(placed_order)
    response = post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET))
    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()  # Stripe's retry will be processed


def test_authorised_confirm_first_payment_waits_for_the_artisan(client, http):
    slot = SlotFactory(capacity=4)
    masterclass = TicketTypeFactory(
        workshop=slot.workshop, price_cents=4000, requires_confirmation=True
    )
    order = order_place(
        slot_id=slot.pk,
        quantities={masterclass.pk: 2},
        customer_name="Ada",
        customer_email="ada@example.com",
        customer_phone="",
        language="en",
    )
    http.on(
        "POST", "/v1/checkout/sessions", fake.checkout_session(metadata={"order_id": str(order.pk)})
    )
    order_start_payment(order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c")
    assert http.calls[0]["params"]["payment_intent_data[capture_method]"] == ["manual"]
    http.on("GET", "/v1/payment_intents/pi_3PabcDEF", fake.payment_intent("requires_capture"))
    payload = fake.event(
        "payment_intent.amount_capturable_updated",
        fake.payment_intent("requires_capture", metadata={"order_id": str(order.pk)}),
    )
    assert post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET)).status_code == 200
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.AWAITING_CONFIRMATION
    assert order.authorisation_expires_at == datetime.fromtimestamp(fake.CAPTURE_BEFORE, tz=UTC)
