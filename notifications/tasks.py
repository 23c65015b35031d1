"""Celery tasks: take ids, call a service (imported inside each task: services import their
tasks at module level, so a task module never imports a service at import time)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# A live send ends well before this (provider timeouts are ~15-30 s) and far before the
# sweeper's lease (services.SENDING_LEASE), so the sweeper never takes back a send in flight.
# A send cut by the time limit is left `sending` on purpose: its outcome is unknown, and the
# sweeper's recovery (which asks Twilio first for an SMS) decides after the lease.
SEND_TIME_LIMIT = 180


@shared_task(
    bind=True,
    max_retries=None,
    acks_late=True,
    soft_time_limit=SEND_TIME_LIMIT - 30,
    time_limit=SEND_TIME_LIMIT,
)
def send_notification(self, notification_id: int) -> str:
    """Send one notification. The row counts attempts and gives up after MAX_ATTEMPTS."""
    from .services import RetryLater, notification_send

    try:
        return notification_send(notification_id=notification_id)
    except RetryLater as exc:
        raise self.retry(exc=exc, countdown=exc.countdown) from exc


@shared_task
def requeue_stuck() -> int:
    from .services import notifications_requeue_stuck

    return notifications_requeue_stuck()


@shared_task
def send_notifications(notification_ids: list[int]) -> int:
    """Send a chunk of rows written together (`notifications_enqueue_bulk`). A row whose send
    fails stays in the outbox (queued with its retry due time, or failed): the sweeper
    publishes it again on its own. Returns how many were sent."""
    from .services import RetryLater, notification_send

    sent = 0
    for pk in notification_ids:
        try:
            sent += notification_send(notification_id=pk) == "sent"
        except RetryLater:
            logger.warning("Notification %s not sent yet; left to the outbox sweeper", pk)
    return sent
