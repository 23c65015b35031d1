from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


NOTIFICATION_TRANSITIONS = {
    NotificationStatus.QUEUED: {NotificationStatus.SENDING, NotificationStatus.FAILED},
    NotificationStatus.SENDING: {
        NotificationStatus.SENT,
        NotificationStatus.QUEUED,
        NotificationStatus.FAILED,
    },
    NotificationStatus.SENT: set(),
    NotificationStatus.FAILED: {NotificationStatus.QUEUED},
}
