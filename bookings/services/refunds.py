"""Cancelling orders and giving money back: refunds, releases of card holds, closed checkouts.

Gateway calls never run inside a transaction; every one carries a key from `ledger_key` and
appends a ledger row, so each happens at most once.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notification_enqueue
from notifications.states import Channel

from ..hooks import order_hooks
from ..models import Order, PaymentEvent
from ..payments import IntentStatus, PaymentError, PaymentUnavailable, get_gateway
from ..payments.base import AuthorisationLapsed
from ..states import ORDER_TRANSITIONS, SYSTEM, Actor, OrderStatus, PaymentEventKind, sources_of
from ..tasks import settle_order_payment as settle_order_payment_task
from . import checkout
from .errors import BookingError
from .ledger import ledger_key, payment_event_record
from .transitions import order_lock, order_move, seats_release

logger = logging.getLogger(__name__)

# Orders ended by us whose money may still need to go back (refund / release).
SETTLE_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.PAYMENT_FAILED)
# Orders that may be cancelled (read from the transition table).
CANCELLABLE = tuple(sources_of(ORDER_TRANSITIONS, OrderStatus.CANCELLED))
# Orders whose seats are paid for (a cancellation refunds them).
PAID_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.AWAITING_CHOICE)


def order_cancel_and_refund(*, order_id: int, reason: str = "", actor: Actor = SYSTEM) -> Order:
    """Cancel an order (artisan or ops): seats back, customer told; the money goes back after commit."""
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if order.status not in CANCELLABLE:
            raise BookingError(_("This order cannot be cancelled in its current state."))
        order_cancel_locked(order, reason=reason, actor=actor)
    return order


def order_cancel_locked(
    order: Order, *, reason: str = "", actor: Actor = SYSTEM, refund_cents: int | None = None
) -> None:
    """Cancel an order the caller locked (slot first) and checked: seats back, customer told,
    the money (all that was charged, or `refund_cents`) goes back after commit."""
    was_paid = order.status in PAID_STATUSES
    order.decision_message = reason
    order.closed_at = timezone.now()
    order.hold_expires_at = None
    order.choose_by = None
    order.refund_cents = refund_cents
    order_move(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        message=reason,
        fields=[
            "decision_message",
            "closed_at",
            "hold_expires_at",
            "choose_by",
            "refund_cents",
            *seats_release([order]),
        ],
    )
    context = {
        **checkout.order_context(order),
        "reason": reason,
        "was_paid": was_paid,
        "refund_cents": refund_cents,
    }
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template="bookings/emails/order_cancelled",
        context=context,
        language=order.language,
        key=f"order:{order.pk}:cancelled:email",
    )
    notification_enqueue(
        channel=Channel.SMS,
        recipient=order.customer_phone,
        template="bookings/emails/order_cancelled",
        context=context,
        language=order.language,
        key=f"order:{order.pk}:cancelled:sms",
    )
    order_hooks.closed(order)
    if order.payment_intent_id:
        transaction.on_commit(lambda: order_settle_soon(order.pk))


def orders_refund_for_cancelled_slot(
    *, slot_id: int, message: str = "", actor: Actor = SYSTEM
) -> list[int]:
    """Cancel and refund every live order of a cancelled slot; each participant is told.

    Orders waiting for their customer's choice (another date or a refund) are left to it."""
    ids = list(
        Order.objects.filter(slot_id=slot_id, status__in=CANCELLABLE)
        .exclude(status=OrderStatus.AWAITING_CHOICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        order_cancel_and_refund(order_id=pk, reason=message, actor=actor)
    return ids


def _refund(order: Order, gateway, *, amount: int, detail: str = "") -> None:
    key = ledger_key(order.pk, "refund")  # one refund per order
    refund_id = gateway.refund(
        reference=order.payment_intent_id, amount_cents=amount, idempotency_key=key
    )
    payment_event_record(
        order,
        kind=PaymentEventKind.REFUNDED,
        key=key,
        amount_cents=amount,
        provider=gateway.name,
        provider_ref=refund_id,
        detail=detail,
    )


def order_settle_payment(*, order_id: int) -> str:
    """Give back the money of an order that ended: refund a charge, release an authorisation,
    close an unpaid checkout. Calls the gateway (never inside a transaction); idempotent.

    Returns what was done: "refunded", "released", "closed" or "nothing".
    """
    order = Order.objects.get(pk=order_id)
    if order.status not in SETTLE_STATUSES or not order.payment_intent_id:
        return "nothing"
    kinds = set(order.payment_events.values_list("kind", flat=True))
    gateway = get_gateway(order.payment_provider or None)
    if PaymentEventKind.CAPTURED in kinds and PaymentEventKind.REFUNDED not in kinds:
        captured = order.payment_events.filter(kind=PaymentEventKind.CAPTURED).first()
        amount = captured.amount_cents or order.total_cents
        if order.refund_cents is not None:  # a partial refund (or none) chosen by the artisan
            amount = min(order.refund_cents, amount)
        if amount == 0:
            return "nothing"
        _refund(order, gateway, amount=amount)
        return "refunded"
    # Authorisations of orders that waited for the artisan are released by
    # `order_release_authorisation` (refused, expired); this releases those of orders
    # cancelled here or never placed.
    ours = order.status == OrderStatus.CANCELLED or order.decide_by is None
    if (
        ours
        and PaymentEventKind.AUTHORISED in kinds
        and not kinds & {PaymentEventKind.CAPTURED, PaymentEventKind.RELEASED}
    ):
        key = ledger_key(order.pk, "release")
        gateway.cancel(reference=order.payment_intent_id, idempotency_key=key)
        payment_event_record(
            order, kind=PaymentEventKind.RELEASED, key=key, amount_cents=order.total_cents
        )
        return "released"
    if not kinds:
        # An unpaid checkout: close it. If the customer paid meanwhile, reconcile instead.
        try:
            state = gateway.retrieve(order.payment_intent_id)
            if state.status in (IntentStatus.SUCCEEDED, IntentStatus.AUTHORISED):
                checkout.order_apply_payment_state(order_id=order.pk, state=state)
                return order_settle_payment(order_id=order.pk)
            if state.status == IntentStatus.REQUIRES_PAYMENT:
                gateway.cancel(
                    reference=order.payment_intent_id, idempotency_key=ledger_key(order.pk, "close")
                )
        except PaymentUnavailable:
            raise
        except PaymentError as exc:
            logger.info("Checkout of order %s not closed: %s", order.pk, exc)
        return "closed"
    return "nothing"


def order_settle_soon(order_id: int) -> None:
    """After commit: settle now; when the provider is unavailable, a task retries (and the sweeper)."""
    try:
        order_settle_payment(order_id=order_id)
    except PaymentError as exc:
        logger.warning("Settling order %s failed (%s); retrying later", order_id, exc)
        try:
            settle_order_payment_task.apply_async(args=[order_id], countdown=60, retry=False)
        except Exception:  # noqa: BLE001 - broker down: the beat sweeper settles it
            logger.warning("Broker unavailable; order %s left for the sweeper", order_id)


def orders_settle_payments(*, limit: int = 200) -> int:
    """The sweeper: orders ended by us whose refund or release has not been recorded."""
    since = timezone.now() - timedelta(days=30)
    candidates = (
        Order.objects.filter(status__in=SETTLE_STATUSES, closed_at__gte=since)
        .exclude(payment_intent_id="")
        .filter(payment_events__kind__in=[PaymentEventKind.CAPTURED, PaymentEventKind.AUTHORISED])
        .exclude(payment_events__kind__in=[PaymentEventKind.REFUNDED, PaymentEventKind.RELEASED])
        .exclude(refund_cents=0)  # cancelled without a refund
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    done = 0
    for pk in list(candidates):
        try:
            if order_settle_payment(order_id=pk) != "nothing":
                done += 1
        except PaymentError as exc:
            logger.warning("Settling order %s failed: %s", pk, exc)
    return done


# --- confirm-first orders: the card hold of a refused / expired order ------------------------


def order_release_authorisation(*, order_id: int) -> str:
    """Cancel the card hold of a refused/expired confirm-first order (never charged). Idempotent."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "missing"
    if order.status not in (OrderStatus.REFUSED, OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        return "not_closed"
    if order.decide_by is None:
        return "not_ours"  # never waited for the artisan: `order_settle_payment` settles it
    key = ledger_key(order_id, "release")
    if not order.payment_intent_id or PaymentEvent.objects.filter(idempotency_key=key).exists():
        return "done"
    if PaymentEvent.objects.filter(order_id=order_id, kind=PaymentEventKind.CAPTURED).exists():
        return "captured"  # never happens by the state table; a refund is ops' decision
    gateway = get_gateway(order.payment_provider or None)
    detail = ""
    try:
        gateway.cancel(reference=order.payment_intent_id, idempotency_key=key)
    except AuthorisationLapsed as exc:
        detail = exc.message  # already gone: nothing is held
    except PaymentError as exc:
        if exc.transient:
            raise
        if _refund_unseen_capture(gateway, order):
            return "refunded"
        detail = exc.message
        logger.warning("Release of order %s failed: %s", order_id, exc.message)
    payment_event_record(
        order,
        kind=PaymentEventKind.RELEASED,
        key=key,
        amount_cents=order.total_cents,
        provider=gateway.name,
        detail=detail,
    )
    return "released"


def _refund_unseen_capture(gateway, order) -> bool:
    """The hold cannot be released because the card was charged after all: a capture that
    timed out after the provider took it, then gave up (capture_failed), then the order was
    refused or expired. Record the charge and give the money back. True if refunded.
    """
    try:
        state = gateway.retrieve(order.payment_intent_id)
    except PaymentError as exc:
        if exc.transient:
            raise
        return False
    if state.status != IntentStatus.SUCCEEDED:
        return False
    payment_event_record(
        order,
        kind=PaymentEventKind.CAPTURED,
        key=ledger_key(order.pk, "captured"),
        amount_cents=order.total_cents,
        provider=gateway.name,
    )
    _refund(
        order,
        gateway,
        amount=order.total_cents,
        detail="charged by a capture that timed out; refunded when the order closed",
    )
    logger.warning("Order %s was charged by a capture that timed out; refunded", order.pk)
    return True
