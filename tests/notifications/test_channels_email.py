"""Email through django-anymail (Mailgun backend), with only its HTTP layer faked."""

from urllib.parse import parse_qs

import pytest
import requests
import responses

from notifications.models import Notification
from notifications.services import RetryLater, notification_enqueue, notification_send

MAILGUN_URL = "https://api.mailgun.net/v3/mg.example.com/messages"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mailgun(settings):
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_SENDER_DOMAIN": "mg.example.com"}
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def queued(enqueue_kwargs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return notification_enqueue(
            **enqueue_kwargs(context={"name": "Zoë", "when": None, "message": "<b>hi</b>"})
        )


def test_a_sent_email_records_the_provider_message_id(mailgun, queued):
    mailgun.post(
        MAILGUN_URL,
        json={"id": "<20261123054500.1.ABCDEF@mg.example.com>", "message": "Queued. Thank you."},
        status=200,
    )
    assert notification_send(notification_id=queued.pk) == "sent"
    queued.refresh_from_db()
    assert queued.provider_message_id == "<20261123054500.1.ABCDEF@mg.example.com>"
    sent = parse_qs(mailgun.calls[0].request.body)
    assert sent["to"] == ["ada@example.com"]
    assert sent["subject"] == [queued.subject]
    assert "&lt;b&gt;hi&lt;/b&gt;" in sent["html"][0]  # user input, escaped in the HTML part
    assert "<b>hi</b>" in sent["text"][0]
    assert sent["v:notification"] == ["test:1:greeting:email"]  # metadata: findable at Mailgun


def test_a_4xx_answer_marks_the_email_failed(mailgun, queued):
    mailgun.post(MAILGUN_URL, json={"message": "to parameter is not a valid address"}, status=400)
    assert notification_send(notification_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.last_error.startswith("400:")
    assert "not a valid address" in queued.last_error


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_5xx_or_rate_limit_answer_is_retried(mailgun, queued, status):
    mailgun.post(MAILGUN_URL, json={"message": "busy"}, status=status)
    with pytest.raises(RetryLater):
        notification_send(notification_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("queued", 1)
    assert queued.last_error.startswith(f"{status}:")


def test_a_timeout_is_retried_and_the_next_attempt_sends(mailgun, queued):
    mailgun.post(MAILGUN_URL, body=requests.exceptions.ConnectTimeout("timed out"))
    mailgun.post(
        MAILGUN_URL, json={"id": "<second@mg.example.com>", "message": "Queued."}, status=200
    )
    with pytest.raises(RetryLater):
        notification_send(notification_id=queued.pk)
    assert notification_send(notification_id=queued.pk) == "sent"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.provider_message_id) == (
        "sent",
        2,
        "<second@mg.example.com>",
    )
    assert len(mailgun.calls) == 2


def test_attachments_reach_the_provider(
    mailgun, enqueue_kwargs, django_capture_on_commit_callbacks
):
    from notifications.services import Attachment

    mailgun.post(MAILGUN_URL, json={"id": "<att@mg.example.com>", "message": "Queued."}, status=200)
    with django_capture_on_commit_callbacks(execute=False):
        notification = notification_enqueue(
            **enqueue_kwargs(
                attachments=[Attachment("ticket.ics", b"BEGIN:VCALENDAR", "text/calendar")]
            )
        )
    assert notification_send(notification_id=notification.pk) == "sent"
    body = mailgun.calls[0].request.body
    assert b"ticket.ics" in body and b"BEGIN:VCALENDAR" in body
    assert Notification.objects.get(pk=notification.pk).status == "sent"


def test_locally_email_goes_to_the_django_backend(
    settings, enqueue_kwargs, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False):
        notification = notification_enqueue(**enqueue_kwargs())
    assert notification_send(notification_id=notification.pk) == "sent"
    (message,) = mailoutbox
    assert message.subject == notification.subject
    assert message.to == ["ada@example.com"]
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["X-Atelier-Notification"] == "test:1:greeting:email"
    notification.refresh_from_db()
    assert notification.provider_message_id.startswith("local-")


def test_a_qr_code_attachment_is_drawn_when_sent_not_when_enqueued(
    settings, enqueue_kwargs, mailoutbox, django_capture_on_commit_callbacks
):
    from notifications.channels import qr_png
    from notifications.services import Attachment

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False):
        notification = notification_enqueue(
            **enqueue_kwargs(attachments=[Attachment.qr_png("ticket-1.png", "TICKET-CODE-1")])
        )
    stored = Notification.objects.get(pk=notification.pk).attachments
    assert stored == [{"filename": "ticket-1.png", "mimetype": "image/png", "qr": "TICKET-CODE-1"}]
    assert notification_send(notification_id=notification.pk) == "sent"
    ((filename, content, mimetype),) = mailoutbox[0].attachments
    assert (filename, mimetype) == ("ticket-1.png", "image/png")
    assert content.startswith(b"\x89PNG") and content == qr_png("TICKET-CODE-1")
    assert content != qr_png("TICKET-CODE-2")
