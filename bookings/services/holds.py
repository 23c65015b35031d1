"""Checkout holds that lapse: an unpaid order gives its seats back, once."""

from django.db import transaction
from django.utils import timezone

from ..hooks import order_hooks
from ..models import Order
from ..payments import IntentStatus, PaymentError, PaymentUnavailable, get_gateway
from ..states import OrderStatus
from . import refunds
from .checkout import hold_lapsed, order_apply_payment_state
from .giftcards import giftcard_order_closed
from .transitions import order_lock, order_move, seats_release


def order_expire_hold(*, order_id: int, now=None) -> Order:
    """End an unpaid checkout whose hold has lapsed: seats go back, once."""
    return _expire_hold(order_id, now)[0]


def _expire_hold(order_id: int, now=None) -> tuple[Order, bool]:
    """`order_expire_hold`, and whether this call expired it (not a concurrent job)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status != OrderStatus.PENDING_PAYMENT or not hold_lapsed(order, now):
            return order, False
        order.closed_at = now
        order_move(
            order,
            OrderStatus.EXPIRED,
            message="checkout hold lapsed",
            fields=["closed_at", *seats_release([order])],
        )
        order_hooks.closed(order)
        giftcard_order_closed(order)
        if order.payment_intent_id:
            # Close the checkout at the provider, so nobody pays for seats that went back.
            transaction.on_commit(lambda: refunds.order_settle_soon(order.pk))
    return order, True


def orders_release_lapsed_holds(*, now=None, batch_size: int = 500) -> int:
    """The beat job: expire lapsed checkouts (after asking the provider whether they were paid)."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, hold_expires_at__lte=now)
        .order_by("hold_expires_at")
        .values_list("pk", "payment_provider", "payment_intent_id")[:batch_size]
    )
    expired = 0
    for pk, provider, reference in ids:
        if reference:
            try:
                state = get_gateway(provider or None).retrieve(reference)
            except PaymentUnavailable:
                continue  # ask again next round
            except PaymentError:
                state = None
            if state is not None and state.status in (
                IntentStatus.SUCCEEDED,
                IntentStatus.AUTHORISED,
            ):
                order_apply_payment_state(order_id=pk, state=state)
                continue
        expired += _expire_hold(pk, now)[1]  # a concurrent run may have expired it first
    return expired
