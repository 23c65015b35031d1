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
def send_date_alerts() -> int:
    """Every 5 minutes: "new dates open" emails to the subscriptions that are due."""
    from .services.date_alerts import date_alerts_send_due

    return date_alerts_send_due()


@shared_task
def refund_unchosen_orders() -> int:
    """Every 5 minutes: orders of a cancelled date whose customer did not choose in time are refunded."""
    from .services.changes import orders_refund_unchosen

    return orders_refund_unchosen()


# --- minimum participants and customer reminders (issue 11) ---


@shared_task
def check_minimum_participants() -> dict:
    """Every minute: slots below their minimum ask the artisan; unanswered ones are cancelled."""
    from .services.minimum import slots_minimum_check, slots_minimum_expire

    return {"asked": slots_minimum_check(), "cancelled": slots_minimum_expire()}


@shared_task
def send_order_reminders() -> dict:
    """Every 5 minutes: the customers' reminders (last free change day, 48 hours before)."""
    from .services.reminders import orders_send_reminders

    return orders_send_reminders()


@shared_task
def giftcards_sweep() -> dict:
    """Every 5 minutes: gift cards whose send day has come are emailed (once); what is left on
    expired cards leaves their ledger."""
    from .services.giftcards import giftcards_expire_overdue, giftcards_send_due

    return {"sent": giftcards_send_due(), "expired": giftcards_expire_overdue()}
