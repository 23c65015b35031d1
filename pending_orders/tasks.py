"""Celery tasks: they take ids and call one service (imported inside the task)."""

from celery import shared_task

from bookings.payments.base import PaymentError

CAPTURE_MAX_RETRIES = 6


@shared_task(acks_late=True)
def dispatch_captures(order_ids: list[int]) -> int:
    """Fan out one capture task per order (the bulk request published only this one)."""
    for pk in order_ids:
        capture_order.apply_async(args=[pk], retry=False)
    return len(order_ids)


@shared_task(bind=True, acks_late=True, max_retries=CAPTURE_MAX_RETRIES)
def capture_order(self, order_id: int) -> str:
    from .services import order_capture, order_capture_failed

    try:
        return order_capture(order_id=order_id)
    except PaymentError as exc:  # transient only: the service handles the others
        if self.request.retries >= self.max_retries:
            return order_capture_failed(order_id=order_id, reason=exc.message)
        raise self.retry(exc=exc, countdown=min(15 * 2**self.request.retries, 900)) from exc


@shared_task(bind=True, acks_late=True, max_retries=8)
def release_authorisation(self, order_id: int) -> str:
    from bookings.services import order_release_authorisation

    try:
        return order_release_authorisation(order_id=order_id)
    except PaymentError as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


@shared_task
def expire_overdue() -> int:
    from .services import captures_requeue_stuck, orders_expire_overdue, releases_requeue_missing

    expired = orders_expire_overdue()
    captures_requeue_stuck()
    releases_requeue_missing()
    return expired


@shared_task
def send_reminders() -> int:
    from .services import orders_send_reminders

    return orders_send_reminders()


@shared_task
def send_digests() -> int:
    from .services import artisans_send_digests

    return artisans_send_digests()
