"""Bookings jobs: thin wrappers that take ids and call a service (imported inside the task)."""

from celery import shared_task

from .payments import PaymentUnavailable


@shared_task
def release_lapsed_holds() -> dict:
    """Every minute: lapsed checkouts free their seats; refunds/releases left behind are retried."""
    from .services import orders_release_lapsed_holds, orders_settle_payments

    return {"expired": orders_release_lapsed_holds(), "settled": orders_settle_payments()}


@shared_task(bind=True, max_retries=8, acks_late=True)
def settle_order_payment(self, order_id: int) -> str:
    from .services import order_settle_payment

    try:
        return order_settle_payment(order_id=order_id)
    except PaymentUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc


@shared_task
def refund_unchosen_orders() -> int:
    """Every 5 minutes: orders of a cancelled date whose customer did not choose in time are refunded."""
    from .services.changes import orders_refund_unchosen

    return orders_refund_unchosen()
