"""The send task under Celery: retries, a broker that is down, a real worker."""

import functools
import socket
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from notifications import services
from notifications.channels import TransientSendError
from notifications.models import Notification
from notifications.services import notification_enqueue, notifications_requeue_stuck
from notifications.tasks import send_notification


@pytest.mark.django_db
def test_a_task_that_raises_mid_send_is_retried_and_sends_once(
    enqueue_kwargs, celery_eager, fake_channel, django_capture_on_commit_callbacks
):
    fake_channel.failures = [TransientSendError("connection reset by peer")]
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_enqueue(**enqueue_kwargs())
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert notification.last_error == "connection reset by peer"
    assert fake_channel.sent == [notification.pk]


@pytest.mark.django_db
def test_the_task_gives_up_after_max_attempts(
    enqueue_kwargs, celery_eager, fake_channel, django_capture_on_commit_callbacks
):
    fake_channel.failures = [TransientSendError("timeout")] * services.MAX_ATTEMPTS
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_enqueue(**enqueue_kwargs())
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert fake_channel.sent == []


def _wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def worker(monkeypatch):
    """A real Celery worker (solo pool, in a thread) on the configured broker.

    It consumes a queue of its own, and the send task is published there: on a shared Redis
    another process consuming the default queue cannot take this test's messages.
    """
    from celery.contrib.testing.worker import start_worker

    queue = f"test-notifications-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(
        send_notification,
        "apply_async",
        functools.partial(send_notification.apply_async, queue=queue),
    )
    with start_worker(
        celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_a_failed_send_and_sends_once(
    enqueue_kwargs, fake_channel, monkeypatch, worker
):
    monkeypatch.setattr(services, "RETRY_BASE_SECONDS", 0)
    fake_channel.failures = [TransientSendError("503 service unavailable")]
    notification = notification_enqueue(**enqueue_kwargs())  # autocommit: published at once
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == "sent")
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert fake_channel.sent == [notification.pk]


# --- The broker is down at commit time --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.notifications.urls")
def test_a_broker_refusing_the_publish_leaves_the_row_queued_and_the_request_succeeds(
    client, monkeypatch, fake_channel, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr(send_notification, "apply_async", broker_down)
        response = client.get("/notify", {"n": 1})
    assert response.status_code == 200
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("queued", 0)

    # The broker is back.
    celery_app.conf.task_always_eager = True
    try:
        assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=3)) == 1
    finally:
        celery_app.conf.task_always_eager = False
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert fake_channel.sent == [notification.pk]


@pytest.fixture
def unreachable_broker():
    """Point the Celery app at a Redis URL where nothing listens (the shared Redis keeps running).

    Yields a function that brings the configured broker back.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    previous = celery_app.conf.broker_url

    def use(url):
        celery_app.conf.broker_url = url
        celery_app._pool = None  # connections and producers are cached per app
        celery_app.amqp._producer_pool = None

    use(f"redis://127.0.0.1:{port}/0")
    yield lambda: use(previous)
    use(previous)


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.notifications.urls")
def test_an_unreachable_redis_broker_leaves_the_row_queued_and_the_sweeper_sends_it(
    client, unreachable_broker, fake_channel, caplog
):
    started = time.monotonic()
    response = client.get("/notify", {"n": 2})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 5, f"the request waited {elapsed:.1f}s on a dead broker"
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("queued", 0)
    assert "Broker unavailable" in caplog.text
    assert fake_channel.sent == []

    unreachable_broker()  # the broker is back; the next sweep (beat, every minute) sends it
    celery_app.conf.task_always_eager = True
    try:
        assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=3)) == 1
    finally:
        celery_app.conf.task_always_eager = False
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert fake_channel.sent == [notification.pk]


@pytest.mark.django_db(transaction=True)
def test_after_the_broker_outage_the_sweeper_sends_through_a_real_worker(fake_channel, worker):
    notification = Notification.objects.create(
        channel="email",
        recipient="ada@example.com",
        template="t",
        language="en",
        subject="s",
        body_text="b",
        idempotency_key="outage:1",
        queued_at=timezone.now() - timedelta(minutes=5),
    )
    assert notifications_requeue_stuck() == 1
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == "sent")
    assert fake_channel.sent == [notification.pk]
