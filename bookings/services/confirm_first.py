"""Confirm-first orders: the moves the Pending orders flow asks for (it decides, bookings writes).

The caller (`pending_orders/services/`) locks the slots then the orders (`slots_lock`,
`for_update`), checks its own rules (deadline, status), and calls these inside its
transaction; captures and releases call the gateway outside any transaction.
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..hooks import order_hooks
from ..models import Order
from ..payments import IntentState, IntentStatus, PaymentError, get_gateway
from ..selectors.giftcards import order_card_cents
from ..states import SYSTEM, Actor, OrderStatus, PaymentEventKind, SlotStatus
from .checkout import order_confirm
from .giftcards import giftcard_order_closed
from .ledger import ledger_key, payment_event_record
from .transitions import for_update, order_move, orders_move, seats_release, seats_take_many

logger = logging.getLogger(__name__)


def orders_start_capture(
    *, orders, slots, actor: Actor = SYSTEM, message: str = "", now=None
) -> dict:
    """Accept orders awaiting confirmation: take their seats and mark them `capturing`.

    `slots` are the orders' slots, locked by the caller. An order whose slot cannot take its
    seats is left as it is; returns {order id: reason} for those. The captures are the
    caller's to publish (after commit).
    """
    now = now or timezone.now()
    errors, started, added = {}, [], defaultdict(int)
    for order in orders:
        slot = slots[order.slot_id]
        left = slot.capacity - slot.seats_taken - added[slot.pk]
        if order.holds_seats:  # seats already counted
            started.append(order)
        elif slot.status == SlotStatus.CANCELLED:
            errors[order.pk] = _("The session was cancelled.")
        elif slot.starts_at <= now:
            errors[order.pk] = _("The session has already started.")
        elif order.seats > left:
            errors[order.pk] = _(
                "Not enough seats left in the session: %(left)s left, %(seats)s requested."
            ) % {
                "left": max(left, 0),
                "seats": order.seats,
            }
        else:
            added[slot.pk] += order.seats
            started.append(order)
    seats_take_many(dict(added))
    orders_move(
        started,
        OrderStatus.CAPTURING,
        actor=actor,
        message=message,
        decision_message=message,
        payment_error="",
        holds_seats=True,
    )
    return errors


def orders_restart_capture(*, orders, actor: Actor = SYSTEM) -> None:
    """Try failed captures again (their seats are still held)."""
    orders_move(
        orders, OrderStatus.CAPTURING, actor=actor, message=_("capture retried"), payment_error=""
    )


def order_note_capture_error(*, order_id: int, message: str) -> None:
    """A transient capture error: the Pending orders page shows why while the task retries."""
    Order.objects.filter(pk=order_id, status=OrderStatus.CAPTURING).update(
        payment_error=message[:2000]
    )


def order_capture_payment(*, order, idempotency_key: str = "", amount_cents: int | None = None):
    """Ask the gateway to capture an accepted order (outside any transaction). Raises PaymentError.

    `amount_cents`: what the card pays (`order_card_cents`), if the caller has it already."""
    amount = order_card_cents(order) if amount_cents is None else amount_cents
    if amount == 0 and not order.payment_intent_id:  # all paid by gift card: nothing to capture
        return IntentState(
            reference="", status=IntentStatus.SUCCEEDED, amount_cents=0, currency=order.currency
        )
    gateway = get_gateway(order.payment_provider or None)
    return gateway.capture(
        reference=order.payment_intent_id,
        amount_cents=amount,
        idempotency_key=idempotency_key or ledger_key(order.pk, "capture"),
    )


def order_record_capture(
    *,
    order_id: int,
    provider: str = "",
    amount_cents: int | None = None,
    holds_seats: bool | None = None,
) -> Order:
    """The capture succeeded: write it in the ledger (once) and confirm the order, in one
    transaction; the ledger row stays even if the order can no longer be confirmed.

    `amount_cents` / `holds_seats`: what the caller already read (saves the reads)."""

    def record(order):
        payment_event_record(
            order,
            kind=PaymentEventKind.CAPTURED,
            key=ledger_key(order_id, "captured"),
            amount_cents=order_card_cents(order) if amount_cents is None else amount_cents,
            provider=provider or order.payment_provider,
        )

    return order_confirm(order_id=order_id, before=record, holds_seats=holds_seats)


def order_is_captured(order_id: int) -> bool:
    return Order.objects.filter(
        pk=order_id, payment_events__kind=PaymentEventKind.CAPTURED
    ).exists()


def order_record_capture_failure(*, order_id: int, reason: str, attempt: int) -> Order | None:
    """A capture failed for good: the order shows `capture_failed` with the reason (ledger row per attempt).

    Returns the order if it moved now, None if it was not capturing.
    """
    with transaction.atomic():
        order = for_update(Order.objects.filter(pk=order_id)).first()
        if order is None or order.status != OrderStatus.CAPTURING:
            return None
        order.payment_error = reason[:2000]
        order_move(
            order, OrderStatus.CAPTURE_FAILED, message=reason[:2000], fields=["payment_error"]
        )
        payment_event_record(
            order,
            kind=PaymentEventKind.FAILED,
            key=ledger_key(order_id, "capture", "failed", attempt),
            amount_cents=order.total_cents,
            provider=order.payment_provider or "unknown",
            detail=reason,
        )
    return order


def order_reopen_for_payment(
    *, order_id: int, deadline, return_url: str, cancel_url: str, then=None
) -> Order | None:
    """The card hold is gone: open a new (immediate) payment; the order goes back to
    `pending_payment` (its seats stay held) until `deadline`.

    The gateway is called first, outside any transaction; `then(order, pay_url)` runs in the
    transaction of the move (to write its notification). Returns the order, or None if it
    was not `capture_failed` (or the gateway could not open a payment).
    """
    order = Order.objects.select_related("slot__workshop").get(pk=order_id)
    if order.status != OrderStatus.CAPTURE_FAILED:
        return None
    gateway = get_gateway(order.payment_provider or None)
    workshop = order.slot.workshop
    starts = timezone.localtime(order.slot.starts_at, workshop.tzinfo)
    try:
        session = gateway.create_payment(
            amount_cents=order.total_cents,
            currency=order.currency,
            description=f"{workshop.title} — {starts:%Y-%m-%d %H:%M} — {order.seats} × ({order.reference})",
            manual_capture=False,
            customer_email=order.customer_email,
            return_url=return_url,
            cancel_url=cancel_url,
            metadata={"order_id": order.pk, "reference": order.reference},
            idempotency_key=ledger_key(order.pk, "payment-link"),
        )
    except PaymentError as exc:
        logger.warning("No payment link for order %s: %s", order_id, exc.message)
        return None
    with transaction.atomic():
        order = for_update(Order.objects.filter(pk=order_id).select_related("slot__workshop")).get()
        if order.status != OrderStatus.CAPTURE_FAILED:
            return None
        order.payment_provider = session.provider
        order.payment_intent_id = session.reference
        order.hold_expires_at = deadline
        order_move(
            order,
            OrderStatus.PENDING_PAYMENT,
            message=_("payment link sent"),
            fields=["payment_provider", "payment_intent_id", "hold_expires_at"],
        )
        if then is not None:
            then(order, session.redirect_url)
    return order


def orders_close_refused(*, orders, actor: Actor = SYSTEM, message: str = "", now=None) -> None:
    """Refuse orders (locked by the caller, slots first): seats back, status refused, hooks told.

    The card holds are released after commit (`order_release_authorisation`).
    """
    now = now or timezone.now()
    seats_release(orders)
    orders_move(
        orders,
        OrderStatus.REFUSED,
        actor=actor,
        message=message,
        decision_message=message,
        closed_at=now,
        holds_seats=False,
    )
    for order in orders:
        order_hooks.closed(order)
        giftcard_order_closed(order)


def orders_expire_decisions(*, orders, now=None) -> None:
    """Expire orders past their decision deadline (locked by the caller, slots first)."""
    now = now or timezone.now()
    seats_release(orders)
    orders_move(
        orders,
        OrderStatus.EXPIRED,
        message=_("decision deadline passed"),
        closed_at=now,
        holds_seats=False,
    )
    for order in orders:
        order_hooks.closed(order)
        giftcard_order_closed(order)


def orders_mark_reminded(*, order_ids, now) -> None:
    """Stamp the artisan's reminder on orders (locked by the caller), so each goes once."""
    Order.objects.filter(pk__in=list(order_ids)).update(reminder_sent_at=now)
