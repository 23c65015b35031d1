"""The two ways out: email (django-anymail in production) and SMS (Twilio in production).

Each `send_*` takes a `Notification` row and returns the provider's message id. It raises
`TransientSendError` for what a retry may cure (network, timeouts, 408/429, 5xx) and
`PermanentSendError` for what it will not (a refused address, an invalid number, a 4xx).

Locally (no provider configured) email goes to Django's configured backend (a file under
var/mail, or the locmem outbox in tests) and SMS to `var/sms.log`.
"""

import base64
import io
import logging
import uuid
from datetime import UTC, datetime, timedelta

import segno
from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .models import Notification

logger = logging.getLogger(__name__)

# Timeouts for one provider call: a send always ends well inside the task's time limit and
# the sweeper's lease (services.SENDING_LEASE).
TWILIO_TIMEOUT_SECONDS = 15
RETRYABLE_HTTP_STATUSES = {408, 409, 425, 429}


class SendError(Exception):
    pass


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


def _is_permanent_status(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in RETRYABLE_HTTP_STATUSES


# --- Email ------------------------------------------------------------------------------------


def qr_png(text: str) -> bytes:
    """The PNG of a QR code (ticket codes in confirmation emails)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def attachment_content(item: dict) -> bytes:
    """The bytes of a stored attachment: as written, or a QR code drawn now."""
    if "qr" in item:
        return qr_png(item["qr"])
    return base64.b64decode(item["content_b64"])


def send_email(notification: Notification) -> str:

    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Atelier-Notification": notification.idempotency_key},
    )
    # Anymail passes metadata to the ESP (shown in its logs and webhooks); other backends ignore it.
    message.metadata = {"notification": notification.idempotency_key}
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for item in notification.attachments:
        message.attach(item["filename"], attachment_content(item), item["mimetype"])
    try:
        message.send()
    except (
        AnymailRecipientsRefused,
        AnymailInvalidAddress,
        AnymailUnsupportedFeature,
        AnymailSerializationError,
        BadHeaderError,
    ) as exc:
        raise PermanentSendError(_describe(exc)) from exc
    except AnymailAPIError as exc:
        status = getattr(exc, "status_code", None)
        if _is_permanent_status(status):
            raise PermanentSendError(f"{status}: {_describe(exc)}") from exc
        raise TransientSendError(f"{status or 'no answer'}: {_describe(exc)}") from exc
    except AnymailError as exc:
        raise TransientSendError(_describe(exc)) from exc
    except OSError as exc:  # SMTP and socket errors (smtplib's exceptions are OSErrors)
        raise TransientSendError(_describe(exc)) from exc
    status = getattr(message, "anymail_status", None)
    return (status and status.message_id) or f"local-{uuid.uuid4()}"


# --- SMS --------------------------------------------------------------------------------------


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID)


def _twilio_client():

    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
    )


def send_sms(notification: Notification) -> str:
    if not twilio_configured():
        return _send_sms_locally(notification)

    try:
        message = _twilio_client().messages.create(
            to=notification.recipient,
            from_=settings.TWILIO_FROM_NUMBER,
            body=notification.body_text,
        )
    except TwilioRestException as exc:
        if _is_permanent_status(exc.status):
            raise PermanentSendError(f"{exc.status} {exc.code}: {exc.msg}") from exc
        raise TransientSendError(f"{exc.status} {exc.code}: {exc.msg}") from exc
    except (TwilioException, OSError) as exc:  # requests' exceptions are OSErrors
        raise TransientSendError(_describe(exc)) from exc
    return message.sid


def find_sent_sms(notification: Notification, *, attempt_started_at: datetime) -> str | None:
    """Ask Twilio whether this SMS went out after all; return its SID, or None.

    Used before re-sending an SMS whose worker died mid-send (outcome unknown). Twilio's
    Messages API has no idempotency key, so we match on recipient, sender, body and a
    creation time after the attempt started. Raises TransientSendError if Twilio cannot say.
    """
    if not twilio_configured():
        return None  # the local channel cannot be asked; a duplicate line in a log is harmless

    since = attempt_started_at - timedelta(minutes=1)  # clock skew between us and Twilio
    try:
        recent = _twilio_client().messages.list(
            to=notification.recipient, from_=settings.TWILIO_FROM_NUMBER, limit=50
        )
    except (TwilioException, OSError) as exc:
        raise TransientSendError(_describe(exc)) from exc
    for message in recent:
        if (
            message.body == notification.body_text
            and message.date_created
            and message.date_created >= since
        ):
            return message.sid
    return None


def _send_sms_locally(notification: Notification) -> str:
    """The local SMS channel: a line in var/sms.log and in the worker's log."""
    sid = f"local-{uuid.uuid4()}"
    line = f"{datetime.now(UTC).isoformat()} to={notification.recipient} sid={sid} {notification.body_text!r}\n"
    settings.SMS_LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.SMS_LOG_FILE, "a", encoding="utf-8") as fh:
        fh.write(line)
    logger.info("SMS (local channel) %s", line.strip())
    return sid


def _describe(exc: Exception) -> str:
    """The error on one line, short enough for `last_error` and the admin list."""
    return " ".join(str(exc).split())[:500] or exc.__class__.__name__


SENDERS = {"email": send_email, "sms": send_sms}
