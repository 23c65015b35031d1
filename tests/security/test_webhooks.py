# ruff: noqa: F811 - the fixtures imported from test_payments_stripe are used by name
"""Webhook signatures: what tests/bookings/test_payments_stripe.py does not already cover."""

import json
import time

import pytest
from django.urls import reverse

from bookings.models import WebhookEvent
from bookings.payments.dev import DevGateway, _sign
from bookings.states import OrderStatus
from tests.bookings import stripe_fake as fake
from tests.bookings.test_payments_stripe import (  # noqa: F401 - fixtures
    WEBHOOK_SECRET,
    completed_event,
    http,
    placed_order,
    post_webhook,
)

from .conftest import db_snapshot

pytestmark = pytest.mark.django_db


def _unchanged(order, before):
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not WebhookEvent.objects.exists()
    assert db_snapshot() == before


def test_signature_of_another_payload_is_rejected(client, http, placed_order):
    before = db_snapshot()
    genuine = fake.event(
        "checkout.session.expired",
        fake.checkout_session(metadata={"order_id": "0"}),
        event_id="evt_other",
    )
    forged = completed_event(placed_order)
    assert post_webhook(client, forged, fake.sign(genuine, WEBHOOK_SECRET)).status_code == 400
    _unchanged(placed_order, before)


def test_old_timestamp_is_rejected_even_with_a_good_signature(client, http, placed_order):
    before = db_snapshot()
    payload = completed_event(placed_order)
    old = int(time.time()) - 60 * 60  # Stripe's tolerance is five minutes
    assert (
        post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET, timestamp=old)).status_code
        == 400
    )
    _unchanged(placed_order, before)


def test_no_webhook_secret_configured_refuses_everything(client, http, placed_order, settings):
    before = db_snapshot()
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = completed_event(placed_order)
    assert post_webhook(client, payload, fake.sign(payload, "")).status_code == 400
    _unchanged(placed_order, before)


def test_webhook_refuses_get(client, http):
    assert client.get(reverse("storefront:stripe_webhook")).status_code == 405


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        b'{"id": "evt_1", "type": "checkout.session.completed"}',
        b"[]",
        b'{"id": "evt_2", "type": "x", "data": null}',
    ],
)
def test_signed_but_malformed_payload_is_a_400_not_a_500(client, http, placed_order, payload):
    before = db_snapshot()
    response = post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET))
    assert response.status_code == 400
    _unchanged(placed_order, before)


def test_replay_with_the_same_event_id_and_other_content_changes_nothing(
    client, http, placed_order
):
    http.on("GET", "/v1/payment_intents/pi_3PabcDEF", fake.payment_intent("succeeded"))
    payload = completed_event(placed_order)
    assert post_webhook(client, payload, fake.sign(payload, WEBHOOK_SECRET)).content == b"processed"
    before = db_snapshot()
    expired = fake.event(
        "checkout.session.expired",
        fake.checkout_session(status="expired", metadata={"order_id": str(placed_order.pk)}),
        event_id="evt_1PabcDEF",
    )
    response = post_webhook(client, expired, fake.sign(expired, WEBHOOK_SECRET))
    assert response.status_code == 200 and response.content == b"replay"
    assert db_snapshot() == before


def test_dev_gateway_webhook_signature_is_checked_in_constant_time():
    gateway = DevGateway()
    payload = json.dumps({"id": "e1", "type": "paid", "reference": "dev_x"}).encode()
    import inspect

    assert "hmac.compare_digest" in inspect.getsource(DevGateway.parse_webhook)
    assert (
        gateway.parse_webhook(payload=payload, headers={"X-Dev-Signature": _sign(payload)}).id
        == "e1"
    )
    for bad in ("", _sign(payload)[:-1], _sign(b"other")):
        with pytest.raises(Exception, match="signature"):
            gateway.parse_webhook(payload=payload, headers={"X-Dev-Signature": bad})
