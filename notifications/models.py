from django.db import models
from django.utils.translation import gettext_lazy as _

from .states import Channel, NotificationStatus


class Notification(models.Model):
    """One email or SMS in the outbox.

    Written in the transaction of the change that causes it, rendered at once in the
    recipient's language, sent by a task after commit. `idempotency_key` is unique: the same
    event never makes two messages.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254, db_index=True)
    template = models.CharField(_("template"), max_length=200)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # [{"filename": ..., "mimetype": ..., "content_b64": ...}], or "qr": text instead of
    # "content_b64" for a QR code PNG drawn at send (channels.attachment_content).
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=NotificationStatus.choices,
        default=NotificationStatus.QUEUED,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # The sweeper's clock: when the send task was last published, when the current send
    # started (its lease), or, after a transient failure, when the retry is due.
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}: {self.subject or self.body_text[:40]}"
