"""The two ways out: email (django-anymail in production) and SMS (Twilio in production).

Each `send_*` returns the provider's message id, raises `TransientSendError` for what a
retry may cure (network, 429, 5xx) and `PermanentSendError` for what it will not.
"""

import base64
import logging
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .models import Notification

logger = logging.getLogger(__name__)


class SendError(Exception):
    pass


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


def send_email(notification: Notification) -> str:
    from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused

    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Atelier-Notification": notification.idempotency_key},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for item in notification.attachments:
        message.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    try:
        message.send()
    except AnymailRecipientsRefused as exc:
        raise PermanentSendError(str(exc)) from exc
    except AnymailAPIError as exc:
        status = getattr(exc, "status_code", None)
        if status is not None and 400 <= status < 500 and status != 429:
            raise PermanentSendError(str(exc)) from exc
        raise TransientSendError(str(exc)) from exc
    except AnymailError as exc:
        raise TransientSendError(str(exc)) from exc
    except OSError as exc:  # SMTP and socket errors
        raise TransientSendError(str(exc)) from exc
    status = getattr(message, "anymail_status", None)
    return (status and status.message_id) or f"local-{uuid.uuid4()}"


def send_sms(notification: Notification) -> str:
    if not settings.TWILIO_ACCOUNT_SID:
        return _send_sms_locally(notification)

    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.rest import Client

    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    try:
        message = client.messages.create(
            to=notification.recipient, from_=settings.TWILIO_FROM_NUMBER, body=notification.body_text
        )
    except TwilioRestException as exc:
        if 400 <= exc.status < 500 and exc.status != 429:
            raise PermanentSendError(f"{exc.status} {exc.code}: {exc.msg}") from exc
        raise TransientSendError(f"{exc.status}: {exc.msg}") from exc
    except (TwilioException, OSError) as exc:
        raise TransientSendError(str(exc)) from exc
    return message.sid


def _send_sms_locally(notification: Notification) -> str:
    """The local SMS channel: a line in var/sms.log and in the worker's log."""
    sid = f"local-{uuid.uuid4()}"
    line = f"{datetime.now(UTC).isoformat()} to={notification.recipient} sid={sid} {notification.body_text!r}\n"
    settings.SMS_LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.SMS_LOG_FILE, "a", encoding="utf-8") as fh:
        fh.write(line)
    logger.info("SMS (local channel) %s", line.strip())
    return sid


SENDERS = {"email": send_email, "sms": send_sms}
