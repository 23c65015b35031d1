"""The outbox: write a notification in the caller's transaction, send it after commit.

    notification_enqueue(
        channel=Channel.EMAIL, recipient="ada@example.com", language="fr",
        template="bookings/emails/order_confirmed", context={"order": order},
        key=f"order:{order.pk}:confirmed:email",
    )

Templates (rendered once, at enqueue, in the recipient's language):
    email: <template>.subject.txt, <template>.txt, optional <template>.html
    sms:   <template>.sms.txt
"""

import base64
import logging
from datetime import timedelta

from django.db import transaction
from django.template.loader import get_template, render_to_string
from django.template.exceptions import TemplateDoesNotExist
from django.utils import timezone, translation

from .channels import SENDERS, PermanentSendError, TransientSendError
from .models import Notification
from .states import Channel, NotificationStatus

logger = logging.getLogger(__name__)

# A queued row older than this without being sent is re-published by the sweeper.
STUCK_AFTER = timedelta(minutes=2)
# A send that started this long ago and never finished (the worker died) is tried again.
SENDING_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8


class Attachment:
    def __init__(self, filename: str, content: bytes, mimetype: str):
        self.filename, self.content, self.mimetype = filename, content, mimetype

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content_b64": base64.b64encode(self.content).decode("ascii"),
        }


def _render(channel: str, template: str, context: dict) -> tuple[str, str, str]:
    if channel == Channel.SMS:
        return "", render_to_string(f"{template}.sms.txt", context).strip(), ""
    subject = " ".join(render_to_string(f"{template}.subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context).strip() + "\n"
    try:
        html = get_template(f"{template}.html").render(context)
    except TemplateDoesNotExist:
        html = ""
    return subject, text, html


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

    Returns the row, or None when there is no recipient (no phone given for an SMS).
    """
    if not recipient:
        return None
    existing = Notification.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    with translation.override(language):
        subject, text, html = _render(channel, template, {**context, "language": language})
    with transaction.atomic():  # a savepoint inside the caller's transaction
        notification, created = Notification.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "channel": channel,
                "recipient": recipient,
                "template": template,
                "language": language,
                "subject": subject[:255],
                "body_text": text,
                "body_html": html,
                "attachments": [a.as_json() for a in attachments],
                "queued_at": timezone.now(),
            },
        )
    if created:
        transaction.on_commit(lambda: publish(notification.pk))
    return notification


def publish(notification_id: int) -> bool:
    """Hand the send to the broker. A broker that is down is not an error: the sweeper retries."""
    from .tasks import send_notification

    try:
        send_notification.apply_async(args=[notification_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; the row stays queued
        logger.warning("Broker unavailable; notification %s stays queued for the sweeper", notification_id)
        return False
    return True


def notification_send(*, notification_id: int) -> str:
    """Send one notification if it is still queued. Returns its final or current status.

    The provider is called outside any transaction: the row is claimed (sending) and
    committed first, the outcome recorded in a second short transaction.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return "missing"
        if notification.status != NotificationStatus.QUEUED:
            return notification.status
        notification.status = NotificationStatus.SENDING
        notification.attempts += 1
        notification.queued_at = now
        notification.save(update_fields=["status", "attempts", "queued_at"])

    try:
        message_id = SENDERS[notification.channel](notification)
    except PermanentSendError as exc:
        _record(notification_id, NotificationStatus.FAILED, error=str(exc))
        return NotificationStatus.FAILED
    except TransientSendError as exc:
        final = notification.attempts >= MAX_ATTEMPTS
        _record(
            notification_id,
            NotificationStatus.FAILED if final else NotificationStatus.QUEUED,
            error=str(exc),
        )
        if final:
            return NotificationStatus.FAILED
        raise
    _record(notification_id, NotificationStatus.SENT, message_id=message_id)
    return NotificationStatus.SENT


def _record(notification_id: int, status: str, *, error: str = "", message_id: str = "") -> None:
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != NotificationStatus.SENDING:
            return
        notification.status = status
        fields = ["status"]
        if error:
            notification.last_error = error[:2000]
            fields.append("last_error")
        if status == NotificationStatus.SENT:
            notification.sent_at = timezone.now()
            notification.provider_message_id = message_id
            fields += ["sent_at", "provider_message_id"]
        if status == NotificationStatus.QUEUED:
            notification.queued_at = timezone.now()
            fields.append("queued_at")
        notification.save(update_fields=fields)


def notification_resend(*, notification_ids) -> int:
    """Put failed notifications back in the queue (same key, same content). Returns how many."""
    ids = []
    with transaction.atomic():
        rows = Notification.objects.select_for_update().filter(
            pk__in=list(notification_ids), status=NotificationStatus.FAILED
        )
        for notification in rows.order_by("pk"):
            notification.status = NotificationStatus.QUEUED
            notification.attempts = 0
            notification.queued_at = timezone.now()
            notification.save(update_fields=["status", "attempts", "queued_at"])
            ids.append(notification.pk)
        transaction.on_commit(lambda: [publish(pk) for pk in ids])
    return len(ids)


def notifications_requeue_stuck(*, now=None, batch_size: int = 500) -> int:
    """Re-publish what the broker lost; free sends whose worker died. Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        Notification.objects.filter(
            status=NotificationStatus.SENDING, queued_at__lt=now - SENDING_LEASE
        ).update(status=NotificationStatus.QUEUED, queued_at=now - STUCK_AFTER)
        ids = list(
            Notification.objects.filter(status=NotificationStatus.QUEUED, queued_at__lt=now - STUCK_AFTER)
            .order_by("queued_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        Notification.objects.filter(pk__in=ids).update(queued_at=now)
    for pk in ids:
        publish(pk)
    return len(ids)
