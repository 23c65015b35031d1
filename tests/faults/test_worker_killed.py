"""A Celery worker killed (SIGKILL) in the middle of a capture or an SMS send.

Real worker processes on a private redis-server. Tasks are acknowledged late, so the task of
a killed worker stays unacknowledged in Redis and is handed to another worker once the
visibility timeout passes (an hour in production, 3 s here). The second worker must finish
the job without doing it twice.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import DevPayment, PaymentEvent
from bookings.services import ledger_key
from bookings.states import OrderStatus, PaymentEventKind
from notifications import channels
from notifications.models import Notification
from notifications.services import SENDING_LEASE, notifications_requeue_stuck, publish
from pending_orders import services
from pending_orders.demo import authorised_order
from pending_orders.models import PendingOrderState
from tests.factories import ConfirmFirstTicketTypeFactory, SlotFactory

from .conftest import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _all_sent():
    return not Notification.objects.exclude(status="sent").exists()


def _sent_keys(faults_dir):
    """The notification key of every email the workers' file backend wrote."""
    keys = []
    for path in (faults_dir / "mail").iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("X-Atelier-Notification: "):
                keys.append(line.split(": ", 1)[1])
    return keys


@pytest.mark.parametrize("point", ["capture-before", "capture-after"])
def test_worker_killed_mid_capture_the_job_runs_again_and_captures_once(
    start_worker, faults_dir, point
):
    slot = SlotFactory(capacity=4)
    order = authorised_order(
        slot=slot,
        ticket_type=ConfirmFirstTicketTypeFactory(workshop=slot.workshop),
        customer_name="Inès",
        customer_email="ines@example.com",
        seats=2,
    )
    first = start_worker(block=point, name="first")

    services.orders_accept(
        artisan=slot.workshop.artisan, order_ids=[order.pk]
    )  # publishes after commit
    assert wait_for(lambda: (faults_dir / "reached").exists(), 30), first.output()
    first.kill()  # SIGKILL: no warm shutdown, the task stays unacknowledged

    payment = DevPayment.objects.get(reference=order.payment_intent_id)
    assert payment.status == ("succeeded" if point == "capture-after" else "authorised")
    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURING
    assert not PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).exists()
    # Redis hands the task over after its visibility timeout: in production an hour, far past
    # the capture claim's lease, which a redelivered task respects. Age the claim to match.
    PendingOrderState.objects.filter(order_id=order.pk).update(
        capture_claimed_at=timezone.now() - services.CAPTURE_LEASE - timedelta(minutes=1)
    )

    second = start_worker(name="second")
    assert wait_for(
        lambda: order.__class__.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED, 30
    ), second.output()
    assert "pending_orders.tasks.capture_order" in second.output()  # the redelivered task did it

    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.captured_cents) == ("succeeded", order.total_cents)
    # Every gateway call carried the same idempotency key: the provider dedupes a replay too.
    calls = (faults_dir / "captures.log").read_text().split()
    assert set(calls) == {ledger_key(order.pk, "capture")}
    assert len(calls) == 2  # the killed attempt and the redelivered one
    order.refresh_from_db()
    assert order.tickets.count() == 2
    assert wait_for(_all_sent, 20), second.output()
    keys = _sent_keys(faults_dir)
    assert (
        len(keys) == len(set(keys)) == Notification.objects.filter(channel="email").count()
    )  # each once
    confirmations = Notification.objects.filter(
        recipient="ines@example.com", template__endswith="order_confirmed"
    )
    assert [n.idempotency_key for n in confirmations] == [
        k for k in keys if k in {n.idempotency_key for n in confirmations}
    ]
    assert confirmations.count() == 1 and confirmations.get().attempts == 1


def _sms():
    return Notification.objects.create(
        channel="sms",
        recipient="+33611223344",
        template="t",
        language="en",
        subject="",
        body_text="Your workshop starts tomorrow at 10:00.",
        idempotency_key="faults:sms:1",
        queued_at=timezone.now(),
    )


def _sms_lines(faults_dir):
    log = faults_dir / "sms.log"
    return log.read_text().splitlines() if log.exists() else []


def test_worker_killed_after_twilio_took_the_sms_it_is_not_sent_again(
    start_worker, faults_dir, monkeypatch
):
    first = start_worker(block="sms-after", name="first")
    notification = _sms()
    publish(notification.pk)
    assert wait_for(lambda: (faults_dir / "reached").exists(), 30), first.output()
    first.kill()
    assert len(_sms_lines(faults_dir)) == 1  # the provider took it; the outcome was never recorded

    second = start_worker(name="second")
    # The redelivered task finds the row claimed (`sending`) and does not send it again.
    assert wait_for(
        lambda: (
            "notifications.tasks.send_notification" in second.output()
            and "succeeded" in second.output()
        ),
        30,
    )
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sending", 1)
    assert len(_sms_lines(faults_dir)) == 1

    # After the lease the sweeper asks the provider before sending again. Twilio's message
    # list is played by the SMS log the worker wrote (the local channel cannot be asked).
    def twilio_lists(row, *, attempt_started_at):
        for line in _sms_lines(faults_dir):
            if f"to={row.recipient}" in line and repr(row.body_text) in line:
                return line.split("sid=")[1].split()[0]
        return None

    monkeypatch.setattr(channels, "find_sent_sms", twilio_lists)
    assert (
        notifications_requeue_stuck(now=timezone.now() + SENDING_LEASE + timedelta(minutes=1)) == 0
    )
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert notification.provider_message_id == twilio_lists(notification, attempt_started_at=None)
    assert notification.attempts == 1
    assert len(_sms_lines(faults_dir)) == 1


def test_worker_killed_before_the_sms_went_out_it_is_sent_once_after_the_lease(
    start_worker, faults_dir, monkeypatch
):
    first = start_worker(block="sms-before", name="first")
    notification = _sms()
    publish(notification.pk)
    assert wait_for(lambda: (faults_dir / "reached").exists(), 30), first.output()
    first.kill()
    assert _sms_lines(faults_dir) == []

    second = start_worker(name="second")
    monkeypatch.setattr(
        channels, "find_sent_sms", lambda row, *, attempt_started_at: None
    )  # Twilio: not sent
    Notification.objects.filter(pk=notification.pk).update(
        queued_at=timezone.now() - SENDING_LEASE - timedelta(minutes=1)  # the lease ran out
    )
    assert notifications_requeue_stuck() == 1
    assert wait_for(lambda: Notification.objects.get(pk=notification.pk).status == "sent", 30), (
        second.output()
    )
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert len(_sms_lines(faults_dir)) == 1
