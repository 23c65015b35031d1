"""Checkout holds: an unpaid order gives its seats back, once — when its hold lapses, when the
customer leaves the payment page, or when the same customer books the same slot again."""

from django.db import transaction
from django.utils import timezone

from ..hooks import order_hooks
from ..models import Order
from ..payments import IntentState, IntentStatus, PaymentError, PaymentUnavailable, get_gateway
from ..selectors.storefront import unpaid_bookings_of
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
        _unpaid_end(order, now=now, message="checkout hold lapsed")
    return order, True


def _unpaid_end(order: Order, *, now, message: str) -> None:
    """End an unpaid order (locked, its slot locked): seats back at once, hook told."""
    order.closed_at = now
    order_move(
        order, OrderStatus.EXPIRED, message=message, fields=["closed_at", *seats_release([order])]
    )
    order_hooks.closed(order)
    giftcard_order_closed(order)
    if order.payment_intent_id:
        # Close the checkout at the provider, so nobody pays for seats that went back.
        transaction.on_commit(lambda pk=order.pk: refunds.order_settle_soon(pk))


def _provider_state(provider: str, reference: str) -> IntentState | None:
    """The payment's state at the provider (None: no payment opened, or unknown there).
    Raises PaymentUnavailable when the provider cannot be asked now."""
    if not reference:
        return None
    try:
        return get_gateway(provider or None).retrieve(reference)
    except PaymentUnavailable:
        raise
    except PaymentError:
        return None


PAID = (IntentStatus.SUCCEEDED, IntentStatus.AUTHORISED)


def order_checkout_leave(*, order_id: int) -> Order:
    """The customer left the payment page (its cancel link): the seats go back at once, unless
    the provider says the order was paid meanwhile. Idempotent."""
    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return order
    try:
        state = _provider_state(order.payment_provider, order.payment_intent_id)
    except PaymentUnavailable:
        return order  # the hold lapses as usual
    if state is not None and state.status in PAID:
        return order_apply_payment_state(order_id=order_id, state=state)
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.PENDING_PAYMENT:
            _unpaid_end(order, now=timezone.now(), message="customer left the payment page")
    return order


def unpaid_orders_replace(*, slot_id: int, customer_email: str) -> int:
    """One customer holds at most one unpaid order per slot: a new booking ends the earlier ones
    (the caller holds the slot's lock; the email is compared whatever its case). Returns how
    many were ended (their seats are back in the database row, not in the caller's copy)."""
    now = timezone.now()
    earlier = unpaid_bookings_of(slot_id=slot_id, customer_email=customer_email)
    earlier = list(earlier.select_for_update(of=("self",)).order_by("pk"))
    for order in earlier:
        _unpaid_end(order, now=now, message="replaced by a new booking of the same customer")
    return len(earlier)


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
        try:
            state = _provider_state(provider, reference)
        except PaymentUnavailable:
            continue  # ask again next round
        if state is not None and state.status in PAID:
            order_apply_payment_state(order_id=pk, state=state)
            continue
        expired += _expire_hold(pk, now)[1]  # a concurrent run may have expired it first
    return expired
