import logging

from celery import shared_task

from notifications.services import notification_send

from .services import deadlines

logger = logging.getLogger(__name__)


@shared_task
def expire_overdue() -> int:
    return deadlines.privatisation_expire_overdue()


@shared_task
def send_reminders() -> int:
    return deadlines.privatisation_send_reminders()


@shared_task
def send_notifications(notification_ids: list[int]) -> int:
    """Send a chunk of outbox rows written by the deadline jobs. A row that fails stays
    queued (or failed) in the outbox; the sweeper re-publishes it on its own with retries."""
    sent = 0
    for pk in notification_ids:
        try:
            notification_send(notification_id=pk)
            sent += 1
        except Exception:  # noqa: BLE001 - transient send errors: the sweeper takes over
            logger.warning("Notification %s not sent; left to the outbox sweeper", pk)
    return sent
