"""The payment provider times out or errors on capture (`PaymentUnavailable`).

On the dev gateway (its DevPayment row is the provider's ledger): the order shows the failure
with its reason on the Pending orders page, can be retried, and is never charged twice, even
when the provider charged the card and then timed out before answering.
"""

from collections import Counter

import pytest
from django.urls import reverse

from bookings.models import DevPayment, PaymentEvent
from bookings.payments.base import PaymentUnavailable
from bookings.payments.dev import DevGateway
from bookings.services import ledger_key, order_release_authorisation
from bookings.states import OrderStatus, PaymentEventKind
from notifications.models import Notification
from pending_orders import services
from pending_orders.demo import authorised_order
from pending_orders.tasks import CAPTURE_MAX_RETRIES
from tests.factories import ConfirmFirstTicketTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

LIST = "/backoffice/orders/pending/"


class FlakyProvider:
    """Wraps the dev gateway's capture: follows a script of "ok", "down" or "timeout-after-charge"."""

    def __init__(self, monkeypatch):
        self.script, self.calls = [], []
        self.original = DevGateway.capture
        monkeypatch.setattr(DevGateway, "capture", lambda gw, **kw: self(gw, **kw))

    def __call__(self, gateway, **kwargs):
        self.calls.append(kwargs["idempotency_key"])
        step = self.script.pop(0) if self.script else "ok"
        if step == "down":
            raise PaymentUnavailable("The payment provider did not answer in time.", code="timeout")
        result = self.original(gateway, **kwargs)
        if step == "timeout-after-charge":
            raise PaymentUnavailable("The payment provider did not answer in time.", code="timeout")
        return result


@pytest.fixture
def provider(monkeypatch):
    return FlakyProvider(monkeypatch)


@pytest.fixture
def order(django_capture_on_commit_callbacks):
    slot = SlotFactory(capacity=4)
    with django_capture_on_commit_callbacks(execute=True):
        return authorised_order(
            slot=slot,
            ticket_type=ConfirmFirstTicketTypeFactory(workshop=slot.workshop),
            customer_name="Inès",
            customer_email="ines@example.com",
            seats=2,
        )


def accept(order, capture):
    with capture(execute=True):
        services.orders_accept(artisan=order.slot.workshop.artisan, order_ids=[order.pk])
    order.refresh_from_db()


def assert_charged_once(order):
    assert order.status == OrderStatus.CONFIRMED
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1
    payment = DevPayment.objects.get(reference=order.payment_intent_id)
    assert (payment.status, payment.captured_cents) == ("succeeded", order.total_cents)
    assert order.tickets.count() == order.seats
    assert (
        Notification.objects.filter(idempotency_key=f"order:{order.pk}:confirmed:email").count()
        == 1
    )


def test_provider_charges_then_times_out_the_retry_finds_the_charge(
    order, provider, celery_eager, django_capture_on_commit_callbacks
):
    provider.script = ["timeout-after-charge"]
    accept(order, django_capture_on_commit_callbacks)
    assert (
        provider.calls == [ledger_key(order.pk, "capture")] * 2
    )  # the replay carries the same key
    assert_charged_once(order)


def test_provider_down_through_every_retry_shows_the_failure_and_a_retry_charges_once(
    client, order, provider, celery_eager, django_capture_on_commit_callbacks
):
    # The first call charged the card and timed out; the provider then stayed unreachable.
    provider.script = ["timeout-after-charge"] + ["down"] * CAPTURE_MAX_RETRIES
    accept(order, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.CAPTURE_FAILED
    assert order.payment_error == "The payment provider did not answer in time."
    assert not PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).exists()

    client.force_login(order.slot.workshop.artisan.user)
    page = client.get(LIST).content.decode()
    assert "Capture failed" in page and "The payment provider did not answer in time." in page
    retry_url = reverse("pending_orders:retry", args=[order.pk])
    assert retry_url in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302
    order.refresh_from_db()
    assert_charged_once(order)
    assert len(provider.calls) == CAPTURE_MAX_RETRIES + 2
    assert set(provider.calls) == {ledger_key(order.pk, "capture")}

    # A second click (a double submit, a stale page) changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry_url)
    order.refresh_from_db()
    assert_charged_once(order)
    assert len(provider.calls) == CAPTURE_MAX_RETRIES + 2


def test_while_the_capture_is_retried_the_page_says_why(
    client, order, provider, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(
        services.dispatch, "dispatch_captures", lambda ids: None
    )  # the worker's turn, below
    provider.script = ["down"]
    accept(order, django_capture_on_commit_callbacks)
    with pytest.raises(PaymentUnavailable):
        services.order_capture(order_id=order.pk)  # the task retries it later

    client.force_login(order.slot.workshop.artisan.user)
    page = client.get(LIST).content.decode()
    assert "Capturing payment" in page
    assert "Trying again: The payment provider did not answer in time." in page

    assert services.order_capture(order_id=order.pk) == OrderStatus.CONFIRMED  # the retry
    order.refresh_from_db()
    assert_charged_once(order)


def test_the_retrying_reason_reads_in_french(
    client, order, provider, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    provider.script = ["down"]
    accept(order, django_capture_on_commit_callbacks)
    with pytest.raises(PaymentUnavailable):
        services.order_capture(order_id=order.pk)
    client.force_login(order.slot.workshop.artisan.user)
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Nouvel essai : The payment provider did not answer in time." in page


def test_refusing_an_order_the_provider_charged_unseen_gives_the_money_back(
    order, provider, celery_eager, django_capture_on_commit_callbacks
):
    # The capture charged the card, timed out, and the provider stayed down: capture_failed.
    provider.script = ["timeout-after-charge"] + ["down"] * CAPTURE_MAX_RETRIES
    accept(order, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.CAPTURE_FAILED

    with django_capture_on_commit_callbacks(execute=True):
        services.orders_refuse(
            artisan=order.slot.workshop.artisan,
            order_ids=[order.pk],
            message="Sorry, the kiln broke.",
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUSED
    payment = DevPayment.objects.get(reference=order.payment_intent_id)
    assert payment.captured_cents == payment.refunded_cents == order.total_cents
    kinds = Counter(PaymentEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[PaymentEventKind.CAPTURED] == 1 and kinds[PaymentEventKind.REFUNDED] == 1
    # Run again (a redelivered task, the sweeper): nothing more is refunded.
    order_release_authorisation(order_id=order.pk)
    services.releases_requeue_missing()
    payment.refresh_from_db()
    assert payment.refunded_cents == order.total_cents
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).count() == 1
