"""The Stripe adapter for real against localstripe (a local server speaking Stripe's API) on
127.0.0.1. localstripe has PaymentIntents and refunds but no Checkout Sessions, so the test
creates and confirms the PaymentIntent the way Checkout would, then drives the adapter.
(Declined cards and Stripe's refusals are covered with recorded responses in
test_payments_stripe.py: localstripe does not reproduce them.)"""

import socket
import subprocess
import sys
import time

import pytest

from bookings.payments import IntentStatus, get_gateway
from bookings.payments.stripe_gateway import StripeGateway

SERVER = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.store.dump_to_disk = lambda: None  # keep nothing on disk
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe_url():
    try:
        import localstripe  # noqa: F401
    except ImportError:
        pytest.skip("localstripe is not installed (pip install localstripe)")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"localstripe could not start: {process.stderr.read().decode()[-300:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.skip("localstripe did not start within 15 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def gateway(settings, localstripe_url, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    monkeypatch.setattr(StripeGateway, "http_client", None)
    monkeypatch.setattr(StripeGateway, "max_network_retries", 0)
    return get_gateway()


def paid_intent(gateway, *, manual: bool, payment_method="pm_card_visa") -> str:
    """What Checkout does when the customer pays: create and confirm a PaymentIntent."""
    intent = gateway.client.v1.payment_intents.create(
        params={
            "amount": 6500,
            "currency": "eur",
            "payment_method": payment_method,
            "capture_method": "manual" if manual else "automatic",
            "metadata": {"order_id": "42"},
        }
    )
    gateway.client.v1.payment_intents.confirm(intent.id)
    return intent.id


def test_authorise_capture_and_refund_against_localstripe(gateway):
    reference = paid_intent(gateway, manual=True)
    assert gateway.retrieve(reference).status == IntentStatus.AUTHORISED
    captured = gateway.capture(
        reference=reference, amount_cents=6500, idempotency_key=f"{reference}:capture"
    )
    assert captured.status == IntentStatus.SUCCEEDED
    assert gateway.retrieve(reference).status == IntentStatus.SUCCEEDED
    refund_id = gateway.refund(
        reference=reference, amount_cents=6500, idempotency_key=f"{reference}:refund"
    )
    assert refund_id.startswith("re_")


def test_release_an_authorisation_against_localstripe(gateway):
    reference = paid_intent(gateway, manual=True)
    assert (
        gateway.cancel(reference=reference, idempotency_key=f"{reference}:release").status
        == IntentStatus.CANCELLED
    )
    assert gateway.retrieve(reference).status == IntentStatus.CANCELLED
    # (localstripe still lets a cancelled intent be captured; the refusal Stripe sends is
    # covered with its recorded response in test_payments_stripe.py.)


def test_automatic_capture_is_charged_at_once(gateway):
    reference = paid_intent(gateway, manual=False)
    state = gateway.retrieve(reference)
    assert (
        state.status == IntentStatus.SUCCEEDED
        and state.amount_cents == 6500
        and state.currency == "EUR"
    )
