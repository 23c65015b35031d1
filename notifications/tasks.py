from celery import shared_task

from .channels import TransientSendError
from .services import MAX_ATTEMPTS, notification_send, notifications_requeue_stuck


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_notification(self, notification_id: int) -> str:
    try:
        return notification_send(notification_id=notification_id)
    except TransientSendError as exc:
        # 30 s, 60 s, 120 s … capped at an hour.
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


@shared_task
def requeue_stuck() -> int:
    return notifications_requeue_stuck()
