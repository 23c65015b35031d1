from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bookings.models import DevPayment
from bookings.payments import (
    AuthorisationLapsed,
    IntentStatus,
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    get_gateway,
)
from bookings.payments.dev import DevGateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    settings.STRIPE_SECRET_KEY = ""
    gateway = get_gateway()
    assert isinstance(gateway, DevGateway)
    return gateway


def create(gateway, manual=True, key="order:1:checkout"):
    return gateway.create_payment(
        amount_cents=5000,
        currency="EUR",
        description="Pottery",
        manual_capture=manual,
        customer_email="a@example.com",
        return_url="http://t/b",
        cancel_url="http://t/c",
        metadata={"order_id": 1},
        idempotency_key=key,
    )


def test_same_key_gives_the_same_payment(gateway):
    assert create(gateway).reference == create(gateway).reference
    assert DevPayment.objects.count() == 1


def test_manual_payment_is_authorised_then_captured_once(gateway):
    session = create(gateway)
    state = gateway.customer_pays(session.reference)
    assert state.status == IntentStatus.AUTHORISED and state.capture_before > timezone.now()
    assert (
        gateway.capture(reference=session.reference, amount_cents=5000, idempotency_key="c").status
        == IntentStatus.SUCCEEDED
    )
    assert (
        gateway.capture(reference=session.reference, amount_cents=5000, idempotency_key="c").status
        == IntentStatus.SUCCEEDED
    )
    assert DevPayment.objects.get().captured_cents == 5000


def test_decline_at_capture_flag(gateway):
    session = create(gateway)
    gateway.customer_pays(session.reference)
    DevPayment.objects.update(decline_on_capture=True)
    with pytest.raises(PaymentDeclined):
        gateway.capture(reference=session.reference, amount_cents=5000, idempotency_key="c")


def test_lapsed_authorisation_cannot_be_captured(gateway):
    session = create(gateway)
    gateway.customer_pays(session.reference)
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        pytest.raises(AuthorisationLapsed),
    ):
        gateway.capture(reference=session.reference, amount_cents=5000, idempotency_key="c")


def test_cancel_releases_and_refund_goes_once_per_key(gateway):
    held = create(gateway)
    gateway.customer_pays(held.reference)
    assert (
        gateway.cancel(reference=held.reference, idempotency_key="r").status
        == IntentStatus.CANCELLED
    )
    paid = create(gateway, manual=False, key="order:2:checkout")
    gateway.customer_pays(paid.reference)
    first = gateway.refund(
        reference=paid.reference, amount_cents=5000, idempotency_key="order:2:refund"
    )
    assert (
        gateway.refund(
            reference=paid.reference, amount_cents=5000, idempotency_key="order:2:refund"
        )
        == first
    )
    assert DevPayment.objects.get(reference=paid.reference).refunded_cents == 5000
    with pytest.raises(PaymentError, match="larger"):
        gateway.refund(
            reference=paid.reference, amount_cents=1, idempotency_key="order:2:refund-again"
        )


def test_dev_webhook_signature_is_checked(gateway):
    session = create(gateway)
    event = gateway.event_for(gateway.customer_pays(session.reference), "paid")
    payload, headers = gateway.signed_payload(event)
    assert gateway.parse_webhook(payload=payload, headers=headers) == event
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload=payload + b" ", headers=headers)
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload=payload, headers={})


@pytest.mark.django_db
def test_the_dev_gateway_waits_the_configured_latency_on_each_provider_call(settings, monkeypatch):
    from bookings.payments import dev

    waits = []
    monkeypatch.setattr(dev.time, "sleep", waits.append)
    settings.DEV_GATEWAY_LATENCY_MS = 300
    gateway = dev.DevGateway()
    session = gateway.create_payment(
        amount_cents=5000,
        currency="EUR",
        description="Bench",
        manual_capture=True,
        customer_email="a@example.com",
        return_url="/ok/",
        cancel_url="/ko/",
        metadata={},
        idempotency_key="order:1:authorise",
    )
    gateway.customer_pays(session.reference)
    gateway.capture(
        reference=session.reference, amount_cents=5000, idempotency_key="order:1:capture"
    )
    gateway.refund(reference=session.reference, amount_cents=1000, idempotency_key="order:1:refund")
    assert waits == [0.3, 0.3, 0.3]
    settings.DEV_GATEWAY_LATENCY_MS = 0
    gateway.refund(
        reference=session.reference, amount_cents=1000, idempotency_key="order:1:refund-2"
    )
    assert waits == [0.3, 0.3, 0.3]
