"""Confirm-first orders through the real Stripe client (HTTP faked): authorisation webhook,
accept → capture (with our idempotency key), the capture's webhook, refuse → cancel, and a
lapsed hold → payment link. Stripe's own adapter tests are in tests/bookings."""

import pytest
from django.core import mail
from django.urls import reverse

from bookings.models import Order, PaymentEvent
from bookings.services import order_place, order_start_payment
from bookings.states import OrderStatus, PaymentEventKind
from pending_orders import services
from tests.bookings import stripe_fake as fake
from tests.conftest import STRIPE_WEBHOOK_SECRET as SECRET
from tests.factories import SlotFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db
PI = "pi_3PabcDEF"


@pytest.fixture
def http(stripe_http):
    return stripe_http


def webhook(client, type_, obj, event_id):
    payload = fake.event(type_, obj, event_id=event_id)
    return client.post(
        reverse("storefront:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fake.sign(payload, SECRET),
    )


@pytest.fixture
def authorised(client, http, django_capture_on_commit_callbacks):
    """A confirm-first order authorised at Stripe, announced by the authorisation webhook."""
    slot = SlotFactory(capacity=4)
    ticket = TicketTypeFactory(workshop=slot.workshop, price_cents=4000, requires_confirmation=True)
    order = order_place(
        slot_id=slot.pk,
        quantities={ticket.pk: 2},
        customer_name="Ada",
        customer_email="ada@example.com",
        customer_phone="",
        language="en",
    )
    http.on(
        "POST", "/v1/checkout/sessions", fake.checkout_session(metadata={"order_id": str(order.pk)})
    )
    order_start_payment(order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c")
    http.on("GET", f"/v1/payment_intents/{PI}", fake.payment_intent("requires_capture"))
    intent = fake.payment_intent("requires_capture", metadata={"order_id": str(order.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            webhook(
                client, "payment_intent.amount_capturable_updated", intent, "evt_auth"
            ).status_code
            == 200
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CONFIRMATION and order.payment_intent_id == PI
    http.routes.clear()
    http.calls.clear()
    return order


def artisan_of(order):
    return order.slot.workshop.artisan


def test_accept_captures_with_our_key_and_the_capture_webhook_changes_nothing(
    client, http, authorised, celery_eager, django_capture_on_commit_callbacks
):
    http.on("POST", f"/v1/payment_intents/{PI}/capture", fake.payment_intent("succeeded"))
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=artisan_of(authorised), order_ids=[authorised.pk])
    authorised.refresh_from_db()
    assert authorised.status == OrderStatus.CONFIRMED and authorised.tickets.count() == 2
    capture_calls = [c for c in http.calls if c["path"].endswith("/capture")]
    assert len(capture_calls) == 1
    assert capture_calls[0]["headers"]["Idempotency-Key"] == f"order:{authorised.pk}:capture"

    http.on("GET", f"/v1/payment_intents/{PI}", fake.payment_intent("succeeded"))
    intent = fake.payment_intent("succeeded", metadata={"order_id": str(authorised.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            webhook(client, "payment_intent.succeeded", intent, "evt_captured").content
            == b"processed"
        )

    authorised.refresh_from_db()
    assert authorised.status == OrderStatus.CONFIRMED and authorised.tickets.count() == 2
    assert (
        PaymentEvent.objects.filter(order=authorised, kind=PaymentEventKind.CAPTURED).count() == 1
    )


def test_capture_webhook_before_the_task_records_it_never_captures_twice(
    client, http, authorised, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    services.orders_accept(artisan=artisan_of(authorised), order_ids=[authorised.pk])
    # Stripe's event about the capture arrives while the order is still `capturing`.
    http.on("GET", f"/v1/payment_intents/{PI}", fake.payment_intent("succeeded"))
    intent = fake.payment_intent("succeeded", metadata={"order_id": str(authorised.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, "payment_intent.succeeded", intent, "evt_early")
    authorised.refresh_from_db()
    assert authorised.status == OrderStatus.CONFIRMED

    # The (late or duplicated) capture task finds it done and calls nobody.
    assert services.order_capture(order_id=authorised.pk) == OrderStatus.CONFIRMED
    assert not [c for c in http.calls if c["path"].endswith("/capture")]
    assert (
        PaymentEvent.objects.filter(order=authorised, kind=PaymentEventKind.CAPTURED).count() == 1
    )
    authorised.slot.refresh_from_db()
    assert authorised.slot.seats_taken == 2


def test_refuse_cancels_the_payment_intent_and_its_webhook_changes_nothing(
    client, http, authorised, celery_eager, django_capture_on_commit_callbacks
):
    http.on(
        "POST",
        f"/v1/payment_intents/{PI}/cancel",
        fake.payment_intent("canceled", latest_charge=None),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_refuse(
            artisan=artisan_of(authorised), order_ids=[authorised.pk], message="Full"
        )
    cancel_calls = [c for c in http.calls if c["path"].endswith("/cancel")]
    assert [c["headers"]["Idempotency-Key"] for c in cancel_calls] == [
        f"order:{authorised.pk}:release"
    ]

    http.on("GET", f"/v1/payment_intents/{PI}", fake.payment_intent("canceled", latest_charge=None))
    intent = fake.payment_intent("canceled", metadata={"order_id": str(authorised.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        webhook(client, "payment_intent.canceled", intent, "evt_canceled")
    authorised.refresh_from_db()
    assert authorised.status == OrderStatus.REFUSED
    assert (
        PaymentEvent.objects.filter(order=authorised, kind=PaymentEventKind.RELEASED).count() == 1
    )


def test_declined_at_capture_shows_stripes_reason(
    http, authorised, celery_eager, django_capture_on_commit_callbacks
):
    status, body = fake.error(
        "card_error", "Your card has insufficient funds.", code="card_declined", status=402
    )
    http.on("POST", f"/v1/payment_intents/{PI}/capture", body, status=status)
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=artisan_of(authorised), order_ids=[authorised.pk])
    order = Order.objects.get(pk=authorised.pk)
    assert order.status == OrderStatus.CAPTURE_FAILED and order.payment_error
    assert not order.tickets.exists()


def test_lapsed_hold_at_stripe_sends_a_checkout_link(
    http, authorised, celery_eager, django_capture_on_commit_callbacks
):
    status, body = fake.error(
        "invalid_request_error",
        "This PaymentIntent could not be captured because it has a status of canceled.",
        code="payment_intent_unexpected_state",
    )
    http.on("POST", f"/v1/payment_intents/{PI}/capture", body, status=status)
    http.on(
        "POST",
        "/v1/checkout/sessions",
        fake.checkout_session(
            id="cs_test_relink", url="https://checkout.stripe.com/c/pay/cs_test_relink"
        ),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=artisan_of(authorised), order_ids=[authorised.pk])

    order = Order.objects.get(pk=authorised.pk)
    assert (
        order.status == OrderStatus.PENDING_PAYMENT and order.payment_intent_id == "cs_test_relink"
    )
    session_call = [c for c in http.calls if c["path"] == "/v1/checkout/sessions"][0]
    assert session_call["headers"]["Idempotency-Key"] == f"order:{order.pk}:payment-link"
    assert session_call["params"]["payment_intent_data[capture_method]"] == ["automatic"]
    assert any("https://checkout.stripe.com/c/pay/cs_test_relink" in m.body for m in mail.outbox)
