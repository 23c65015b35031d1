"""Celery tasks: they take ids and call one service (imported inside the task)."""

import logging

from celery import shared_task

from bookings.payments.base import PaymentError

logger = logging.getLogger(__name__)

CAPTURE_MAX_RETRIES = 6
# Orders per capture task. A worker's loop hands its threads one message per turn (and takes
# each acknowledgement back the same way); with 32 threads busy on the interpreter lock, one
# message per order left half the threads waiting for work (README "Captures in parallel").
CAPTURE_CHUNK = 10


def capture_retry_countdown(retries: int) -> int:
    """Seconds before a capture's next try after `retries` retries (15 s, doubling, 15 min at most)."""
    return min(15 * 2**retries, 900)


@shared_task(acks_late=True)
def dispatch_captures(order_ids: list[int]) -> int:
    """Fan out the captures, CAPTURE_CHUNK orders per task (the bulk request published only this one)."""
    ids = list(order_ids)
    for start in range(0, len(ids), CAPTURE_CHUNK):
        capture_orders.apply_async(args=[ids[start : start + CAPTURE_CHUNK]], retry=False)
    return len(ids)


@shared_task(acks_late=True)
def capture_orders(order_ids: list[int]) -> dict:
    """Capture a chunk of orders one after another (each idempotent, as `capture_order`).

    A transient provider error retries that order alone, later, as its own `capture_order`
    task (this run counted as its first attempt); any other error is logged and leaves the
    order to the sweeper (`captures_requeue_stuck`), so one order never holds back the rest of
    its chunk.
    """
    from .services import order_capture

    outcome = {}
    for pk in order_ids:
        try:
            outcome[pk] = order_capture(order_id=pk)
        except PaymentError:
            outcome[pk] = "retry"
            try:
                capture_order.apply_async(
                    args=[pk], countdown=capture_retry_countdown(0), retries=1, retry=False
                )
            except Exception:  # noqa: BLE001 - any broker failure; the sweeper re-sends
                logger.warning("Broker unavailable; capture of order %s waits for the sweeper", pk)
        except Exception:  # noqa: BLE001 - logged; the sweeper retries the order
            logger.exception("Capture of order %s failed; the sweeper retries it", pk)
            outcome[pk] = "error"
    return outcome


@shared_task(bind=True, acks_late=True, max_retries=CAPTURE_MAX_RETRIES)
def capture_order(self, order_id: int) -> str:
    from .services import order_capture, order_capture_failed

    try:
        return order_capture(order_id=order_id)
    except PaymentError as exc:  # transient only: the service handles the others
        if self.request.retries >= self.max_retries:
            return order_capture_failed(order_id=order_id, reason=exc.message)
        raise self.retry(exc=exc, countdown=capture_retry_countdown(self.request.retries)) from exc


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
