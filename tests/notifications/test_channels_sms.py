"""SMS through the real `twilio` client, with only its HTTP layer (requests) faked."""

from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.utils import timezone

from notifications.models import Notification
from notifications.services import (
    SENDING_LEASE,
    RetryLater,
    notification_enqueue,
    notification_send,
    notifications_requeue_stuck,
)

ACCOUNT = "AC" + "0" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
SID = "SM" + "a" * 32

pytestmark = pytest.mark.django_db


def twilio_message(body, *, sid=SID, to="+33612345678", created=None):
    """A Message resource as Twilio's API documents it."""
    created = format_datetime(created or timezone.now(), usegmt=True)
    return {
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+15005550006",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json"},
        "to": to,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json",
    }


def twilio_error(status, code, message):
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def twilio(settings):
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def queued(enqueue_kwargs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return notification_enqueue(
            **enqueue_kwargs(
                channel="sms", recipient="+33 6 12 34 56 78", key="test:1:greeting:sms"
            )
        )


def test_a_sent_sms_stores_the_twilio_sid(twilio, queued):
    twilio.post(MESSAGES_URL, json=twilio_message(queued.body_text), status=201)
    assert notification_send(notification_id=queued.pk) == "sent"
    queued.refresh_from_db()
    assert queued.provider_message_id == SID
    sent = parse_qs(twilio.calls[0].request.body)
    assert sent == {"To": ["+33612345678"], "From": ["+15005550006"], "Body": [queued.body_text]}


def test_an_invalid_number_marks_the_sms_failed(twilio, queued):
    twilio.post(
        MESSAGES_URL,
        json=twilio_error(400, 21211, "The 'To' number +33612345678 is not a valid phone number."),
        status=400,
    )
    assert notification_send(notification_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.last_error.startswith("400 21211:")
    assert "not a valid phone number" in queued.last_error


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_a_rate_limit_or_server_error_is_retried_then_sent_once(twilio, queued, status, code):
    twilio.post(MESSAGES_URL, json=twilio_error(status, code, "Try again later"), status=status)
    twilio.post(MESSAGES_URL, json=twilio_message(queued.body_text), status=201)
    with pytest.raises(RetryLater):
        notification_send(notification_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("queued", 1)
    assert queued.last_error.startswith(f"{status} {code}:")
    assert notification_send(notification_id=queued.pk) == "sent"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.provider_message_id) == ("sent", 2, SID)


def test_a_network_error_is_retried(twilio, queued):
    twilio.post(MESSAGES_URL, body=requests.exceptions.ConnectionError("connection reset"))
    with pytest.raises(RetryLater):
        notification_send(notification_id=queued.pk)
    assert Notification.objects.get(pk=queued.pk).status == "queued"


# --- A worker that died mid-send --------------------------------------------------------------


def _die_mid_send(notification, started):
    """What a worker killed after claiming the row leaves behind."""
    Notification.objects.filter(pk=notification.pk).update(
        status="sending", attempts=1, queued_at=started
    )


def test_after_a_worker_died_an_sms_twilio_has_is_recorded_not_sent_again(
    twilio, queued, celery_eager
):
    started = timezone.now() - SENDING_LEASE - timedelta(minutes=1)
    _die_mid_send(queued, started)
    twilio.get(
        MESSAGES_URL,
        json={
            "messages": [
                twilio_message(
                    queued.body_text, sid="SM" + "b" * 32, created=started + timedelta(seconds=2)
                ),
                twilio_message(
                    "an older message", sid="SM" + "c" * 32, created=started - timedelta(days=1)
                ),
            ],
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
        },
    )
    assert notifications_requeue_stuck() == 0
    queued.refresh_from_db()
    assert (queued.status, queued.provider_message_id) == ("sent", "SM" + "b" * 32)
    assert [call.request.method for call in twilio.calls] == ["GET"]  # no second POST
    assert parse_qs(twilio.calls[0].request.url.split("?", 1)[1])["To"] == ["+33612345678"]


def test_after_a_worker_died_an_sms_twilio_does_not_have_is_sent_again(
    twilio, queued, celery_eager, django_capture_on_commit_callbacks
):
    started = timezone.now() - SENDING_LEASE - timedelta(minutes=1)
    _die_mid_send(queued, started)
    older = twilio_message(
        queued.body_text, sid="SM" + "c" * 32, created=started - timedelta(days=1)
    )
    twilio.get(
        MESSAGES_URL, json={"messages": [older], "next_page_uri": None, "page": 0, "page_size": 50}
    )
    twilio.post(MESSAGES_URL, json=twilio_message(queued.body_text), status=201)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_requeue_stuck() == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.provider_message_id) == ("sent", 2, SID)


def test_when_twilio_cannot_say_the_dead_send_waits_for_the_next_sweep(twilio, queued):
    _die_mid_send(queued, timezone.now() - SENDING_LEASE - timedelta(minutes=1))
    twilio.get(MESSAGES_URL, json=twilio_error(503, 20503, "Service unavailable"), status=503)
    assert notifications_requeue_stuck() == 0
    assert Notification.objects.get(pk=queued.pk).status == "sending"


# --- The local channel ------------------------------------------------------------------------


def test_without_twilio_the_sms_is_written_to_the_local_log(settings, queued):
    settings.TWILIO_ACCOUNT_SID = ""
    assert notification_send(notification_id=queued.pk) == "sent"
    queued.refresh_from_db()
    log = settings.SMS_LOG_FILE.read_text(encoding="utf-8")
    assert "to=+33612345678" in log
    assert f"sid={queued.provider_message_id}" in log
    assert repr(queued.body_text) in log
