"""The outbox: write a notification in the caller's transaction, send it after commit.

How another app sends an email or an SMS (inside its own `transaction.atomic()`):

    from notifications.services import notification_enqueue
    from notifications.states import Channel

    notification_enqueue(
        channel=Channel.EMAIL, recipient=order.customer_email, language=order.language,
        template="bookings/emails/order_confirmed", context={"order": order},
        key=f"order:{order.pk}:confirmed:email",
    )

- `key` is unique in the database: the same event enqueued twice (a retried request, a job
  run twice, two racing workers) gives one row and one send. Make it name the event and the
  channel; a "resend" of a failed row goes through `notification_resend`, not a new key.
- The row is written in the caller's transaction and the send task is published only after
  commit: a rolled-back change sends nothing; a broker that is down leaves the row queued
  and the sweeper (`notifications_requeue_stuck`, every minute from beat) publishes it.
- Templates are rendered once, at enqueue, in `language` (FR/EN), under `templates/`:
    email: `<template>.subject.txt`, `<template>.txt`, optional `<template>.html`
    SMS:   `<template>.sms.txt` (keep it short: one or two segments, a link at most)
  Email templates extend the shared layout:
    {% extends "notifications/email_base.html" %}{% block content %}…{% endblock %}
    {% extends "notifications/email_base.txt" %}{% block content %}…{% endblock %}
  In the HTML, the layout styles a few classes (no inline styles): `<a class="button">` for
  the one action, `<table class="summary">` (with `<td class="amount">`) for an order or a
  quote, `<p class="muted">` for fine print.
  The context gets `language`, `subject` (in the bodies) and `SITE_URL` (absolute links).
  HTML bodies autoescape; text bodies, subjects and SMS do not (they are plain text, so
  "O'Brien & fils" stays readable) — never mark user input `|safe` in an .html template.
- Attachments: `attachments=[Attachment("ticket.ics", data, "text/calendar")]`. A QR code
  image is `Attachment.qr_png("ticket.png", text)`: it is drawn when the email is sent, not at
  enqueue (drawing one costs ~10 ms of CPU, and the enqueue runs in the caller's transaction,
  often under a row lock: a capture worker confirming 500 orders would spend most of its time
  drawing PNGs).
"""

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template import Context, engines
from django.template.exceptions import TemplateDoesNotExist
from django.utils import timezone, translation

from . import channels
from .channels import PermanentSendError, TransientSendError
from .models import Notification
from .phone import normalize_phone
from .states import NOTIFICATION_TRANSITIONS, Channel, NotificationStatus
from .tasks import send_notification, send_notifications

logger = logging.getLogger(__name__)

# A queued row this long past its due time without being sent is re-published by the sweeper.
STUCK_AFTER = timedelta(minutes=2)
# A send that started this long ago and never recorded an outcome (its worker died) is tried
# again. Far longer than a live send can take (task time limit + provider timeouts).
SENDING_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
# Exponential backoff between attempts: 30 s, 60 s, 120 s … capped at an hour.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


class RetryLater(TransientSendError):
    """A transient failure that will be retried; `countdown` is the delay in seconds."""

    def __init__(self, message: str, countdown: int):
        super().__init__(message)
        self.countdown = countdown


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str
    qr: str = ""  # the text of a QR code drawn at send (`content` is then empty)

    @classmethod
    def qr_png(cls, filename: str, text: str) -> "Attachment":
        """A PNG of the QR code of `text`, drawn when the email is sent."""
        return cls(filename, b"", "image/png", qr=text)

    def as_json(self) -> dict:
        if self.qr:
            return {"filename": self.filename, "mimetype": self.mimetype, "qr": self.qr}
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content_b64": base64.b64encode(self.content).decode("ascii"),
        }


def retry_delay(attempts: int) -> int:
    """Seconds to wait before attempt number `attempts + 1`."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


# --- Rendering --------------------------------------------------------------------------------


def _render_one(name: str, context: dict, *, autoescape: bool) -> str:
    template = engines["django"].engine.get_template(name)
    return template.render(Context(context, autoescape=autoescape))


def _render(channel: str, template: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html) for the channel, in the active language."""
    context = {"SITE_URL": settings.SITE_URL, **context}
    if channel == Channel.SMS:
        return "", _render_one(f"{template}.sms.txt", context, autoescape=False).strip(), ""
    # A header is one line: newlines a user typed must not reach it.
    subject = " ".join(_render_one(f"{template}.subject.txt", context, autoescape=False).split())
    context["subject"] = subject
    text = _render_one(f"{template}.txt", context, autoescape=False).strip() + "\n"
    try:
        html = _render_one(f"{template}.html", context, autoescape=True)
    except TemplateDoesNotExist:
        html = ""
    return subject[:255], text, html


def _language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def _clean_recipient(channel: str, recipient: str) -> str:
    """The recipient in its canonical form; ValueError if it cannot be reached."""
    recipient = recipient.strip()
    if channel == Channel.SMS:
        return normalize_phone(recipient)
    try:
        validate_email(recipient)
    except ValidationError:
        raise ValueError("invalid email address") from None
    return recipient


# --- Enqueue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """One email or SMS to write to the outbox (see the module docstring for the fields)."""

    channel: str
    recipient: str
    template: str
    context: dict
    language: str
    key: str
    attachments: tuple[Attachment, ...] = ()


def notification_enqueue(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    language: str,
    key: str,
    attachments: list[Attachment] | tuple = (),
) -> Notification | None:
    """Write the notification (once per `key`) and send it after the caller's commit.

    Returns the row (the existing one if `key` was enqueued before), or None when there is
    no recipient (no phone given for an SMS). A recipient that cannot be reached (a malformed
    number or address) gives a row already `failed`, visible in admin, rather than an
    exception that would roll back the caller's change.
    """
    message = OutgoingMessage(
        channel=channel,
        recipient=recipient,
        template=template,
        context=context,
        language=language,
        key=key,
        attachments=tuple(attachments),
    )
    rows = notifications_enqueue_bulk(messages=[message])
    return rows[0] if rows else None


def notifications_enqueue_bulk(*, messages: Iterable[OutgoingMessage]) -> list[Notification]:
    """Write many notifications in one insert and publish the new ones once, after commit.

    The same rules as `notification_enqueue`, row by row: a message without a recipient is
    skipped, a key already in the outbox (or twice in `messages`) gives its existing row and
    no second one, an unreachable recipient gives a `failed` row. Returns one row per message
    kept, in the order given.
    """
    messages = [m for m in messages if m.recipient]
    keys = list(dict.fromkeys(m.key for m in messages))
    if not keys:
        return []
    by_key = {n.idempotency_key: n for n in Notification.objects.filter(idempotency_key__in=keys)}
    first = {}
    for message in messages:
        first.setdefault(message.key, message)
    new = [_build(message) for key, message in first.items() if key not in by_key]
    created = _insert(new)
    by_key.update({n.idempotency_key: n for n in new})
    for notification in created:
        if notification.status == NotificationStatus.FAILED:
            logger.warning(
                "Notification %s not sent: %s",
                notification.idempotency_key,
                notification.last_error,
            )
    ids = [n.pk for n in created if n.status == NotificationStatus.QUEUED]
    if ids:
        transaction.on_commit(lambda: publish_many(ids))
    return [by_key[key] for key in keys]


def _build(message: OutgoingMessage) -> Notification:
    """The unsaved row of one message: rendered in its language, its recipient cleaned."""
    language = _language(message.language)
    with translation.override(language):
        subject, text, html = _render(
            message.channel, message.template, {**message.context, "language": language}
        )
    status, error, recipient = NotificationStatus.QUEUED, "", message.recipient
    try:
        recipient = _clean_recipient(message.channel, recipient)
    except ValueError as exc:
        status, error = NotificationStatus.FAILED, f"unreachable recipient: {exc}"
    return Notification(
        channel=message.channel,
        recipient=recipient.strip()[:254],
        template=message.template,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=[a.as_json() for a in message.attachments],
        status=status,
        last_error=error,
        idempotency_key=message.key,
        queued_at=timezone.now(),
    )


def _insert(rows: list[Notification]) -> list[Notification]:
    """Insert the rows; return those this call created (a racing caller may own some keys).

    One INSERT in a savepoint. If a concurrent caller committed one of the keys first, the
    unique index refuses the batch: each row is then inserted on its own (get_or_create, a
    savepoint each) and a key already taken keeps its first row, replaced in `rows`.
    """
    if not rows:
        return []
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        pass
    created = []
    for index, row in enumerate(rows):
        fields = {
            f.attname: getattr(row, f.attname)
            for f in Notification._meta.concrete_fields
            if not f.primary_key
        }
        fields.pop("idempotency_key")
        rows[index], was_created = Notification.objects.get_or_create(
            idempotency_key=row.idempotency_key, defaults=fields
        )
        if was_created:
            created.append(rows[index])
    return created


PUBLISH_CHUNK = 200


def publish(notification_id: int) -> bool:
    """Hand the send to the broker. A broker that is down is not an error: the sweeper retries."""

    try:
        send_notification.apply_async(args=[notification_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; the row stays queued
        logger.warning(
            "Broker unavailable; notification %s stays queued for the sweeper", notification_id
        )
        return False
    return True


def publish_many(notification_ids: list[int]) -> None:
    """Publish new rows: one task for one row, one task per chunk of rows for a batch.

    A chunk's task sends its rows one by one; a row whose send fails transiently stays
    queued with its retry due time, and the sweeper publishes it again then.
    """
    if len(notification_ids) == 1:
        publish(notification_ids[0])
        return

    for start in range(0, len(notification_ids), PUBLISH_CHUNK):
        chunk = notification_ids[start : start + PUBLISH_CHUNK]
        try:
            send_notifications.apply_async(args=[chunk], retry=False)
        except Exception:  # noqa: BLE001 - any broker failure; the rows stay queued
            logger.warning(
                "Broker unavailable; %s notifications stay queued for the sweeper", len(chunk)
            )


# --- Send -------------------------------------------------------------------------------------


def notification_send(*, notification_id: int) -> str:
    """Send one notification if it is still queued; return its status afterwards.

    Never calls a provider inside a transaction: the row is claimed (`sending`, attempts + 1)
    and committed, the provider is called, the outcome is recorded in a second short
    transaction. A redelivered or duplicate task finds the row no longer queued and stops.
    Raises `RetryLater` on a transient error with attempts left (the task retries).

    The remaining window: if the worker dies after the provider accepted the message but
    before the outcome is committed, the row stays `sending`; the sweeper takes it back
    after `SENDING_LEASE`. For SMS it first asks Twilio whether the message went out
    (`channels.find_sent_sms`) and records it as sent if so; only a message Twilio does not
    list yet (its list lags a few seconds behind) or an email could then go out twice.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return "missing"
        if notification.status != NotificationStatus.QUEUED:
            return notification.status
        _move(notification, NotificationStatus.SENDING)
        notification.attempts += 1
        notification.queued_at = now  # the lease starts now
        notification.save(update_fields=["status", "attempts", "queued_at"])

    try:
        message_id = channels.SENDERS[notification.channel](notification)
    except PermanentSendError as exc:
        _record(notification_id, NotificationStatus.FAILED, error=str(exc))
        return NotificationStatus.FAILED
    except TransientSendError as exc:
        if notification.attempts >= MAX_ATTEMPTS:
            _record(
                notification_id,
                NotificationStatus.FAILED,
                error=f"gave up after {MAX_ATTEMPTS} attempts: {exc}",
            )
            return NotificationStatus.FAILED
        countdown = retry_delay(notification.attempts)
        _record(
            notification_id,
            NotificationStatus.QUEUED,
            error=str(exc),
            due_at=timezone.now() + timedelta(seconds=countdown),
        )
        raise RetryLater(str(exc), countdown) from exc
    _record(notification_id, NotificationStatus.SENT, message_id=message_id)
    return NotificationStatus.SENT


def _move(notification: Notification, status: str) -> None:
    if status not in NOTIFICATION_TRANSITIONS[notification.status]:
        raise ValueError(
            f"notification {notification.pk}: {notification.status} → {status} is not allowed"
        )
    notification.status = status


def _record(
    notification_id: int,
    status: str,
    *,
    error: str = "",
    message_id: str = "",
    due_at: datetime | None = None,
) -> None:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != NotificationStatus.SENDING:
            return  # the sweeper took it back meanwhile; its outcome is the sweeper's now
        _move(notification, status)
        fields = ["status"]
        if error:
            notification.last_error = error[:2000]
            fields.append("last_error")
        if status == NotificationStatus.SENT:
            notification.sent_at = timezone.now()
            notification.provider_message_id = message_id[:255]
            fields += ["sent_at", "provider_message_id"]
        if due_at is not None:
            # queued_at is "due at" for a retry: the sweeper leaves it alone until then.
            notification.queued_at = due_at
            fields.append("queued_at")
        notification.save(update_fields=fields)


# --- Resend and sweep -------------------------------------------------------------------------


def notification_resend(*, notification_ids) -> int:
    """Put failed notifications back in the queue (same key, same content). Returns how many."""
    ids = []
    with transaction.atomic():
        rows = Notification.objects.select_for_update().filter(
            pk__in=list(notification_ids), status=NotificationStatus.FAILED
        )
        for notification in rows.order_by("pk"):
            _move(notification, NotificationStatus.QUEUED)
            notification.attempts = 0
            notification.queued_at = timezone.now()
            notification.save(update_fields=["status", "attempts", "queued_at"])
            ids.append(notification.pk)
        transaction.on_commit(lambda: [publish(pk) for pk in ids])
    return len(ids)


def notification_recover(*, notification_id: int, now: datetime | None = None) -> str:
    """Take back a send whose worker died (`sending` past the lease). Returns the new status.

    SMS: ask Twilio first (outside any transaction) and record the message as sent if it
    went out. Otherwise the row is queued again and published, or failed if out of attempts.
    """
    now = now or timezone.now()
    notification = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.SENDING, queued_at__lt=now - SENDING_LEASE
    ).first()
    if notification is None:
        return "skipped"
    found_sid = None
    if notification.channel == Channel.SMS:
        try:
            found_sid = channels.find_sent_sms(
                notification, attempt_started_at=notification.queued_at
            )
        except TransientSendError as exc:
            logger.warning("Cannot ask Twilio about notification %s yet: %s", notification_id, exc)
            return NotificationStatus.SENDING
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if (
            notification.status != NotificationStatus.SENDING
            or notification.queued_at >= now - SENDING_LEASE
        ):
            return "skipped"  # recovered by someone else meanwhile
        lost = "the worker stopped during the send; outcome unknown"
        if found_sid:
            _move(notification, NotificationStatus.SENT)
            notification.provider_message_id = found_sid
            notification.sent_at = now
            notification.save(update_fields=["status", "provider_message_id", "sent_at"])
        elif notification.attempts >= MAX_ATTEMPTS:
            _move(notification, NotificationStatus.FAILED)
            notification.last_error = f"gave up after {MAX_ATTEMPTS} attempts: {lost}"
            notification.save(update_fields=["status", "last_error"])
        else:
            _move(notification, NotificationStatus.QUEUED)
            notification.last_error = lost
            notification.queued_at = now
            notification.save(update_fields=["status", "last_error", "queued_at"])
            transaction.on_commit(lambda: publish(notification_id))
    return notification.status


def notifications_requeue_stuck(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Re-publish what the broker lost; take back sends whose worker died. Safe to run twice.

    Returns how many notifications were published again.
    """
    now = now or timezone.now()
    stuck_sending = list(
        Notification.objects.filter(
            status=NotificationStatus.SENDING, queued_at__lt=now - SENDING_LEASE
        )
        .order_by("queued_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    recovered = sum(
        notification_recover(notification_id=pk, now=now) == NotificationStatus.QUEUED
        for pk in stuck_sending
    )
    with transaction.atomic():
        # skip_locked: two sweepers at once split the rows instead of publishing them twice
        # (a duplicate publish would still send once: the send claims the row under lock).
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.QUEUED, queued_at__lt=now - STUCK_AFTER)
            .order_by("queued_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        # Stamp them: the next sweep leaves them alone for STUCK_AFTER.
        Notification.objects.filter(pk__in=ids).update(queued_at=now)
    for pk in ids:
        publish(pk)
    return recovered + len(ids)
