"""Paying and confirming: open the checkout, reconcile the payment's state, confirm the order.

Gateway calls never run inside a transaction: they happen before it (`order_start_payment`)
or after commit (`refunds.order_settle_soon`).
Confirm-first orders hold their seats when placed, while the artisan decides; one placed
beyond capacity waits (holds none) and accepting it takes the seats then
(`confirm_first.orders_start_capture`); `order_confirm` takes them itself if nobody did.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import (
    Attachment,
    OutgoingMessage,
    notification_enqueue,
    notifications_enqueue_bulk,
)
from notifications.states import Channel

from ..hooks import order_hooks
from ..models import Order, Ticket
from ..payments import IntentState, IntentStatus, get_gateway
from ..payments.base import PaymentSession
from ..selectors.giftcards import order_card_cents
from ..selectors.tickets import order_ics, order_url
from ..states import (
    CUSTOMER,
    ORDER_TRANSITIONS,
    SYSTEM,
    Actor,
    OrderStatus,
    PaymentEventKind,
    can_move,
)
from . import refunds
from .errors import BookingError, SoldOut
from .giftcards import giftcard_consume, giftcard_order_closed
from .ledger import ledger_key, payment_event_record
from .transitions import NeedSlotLock, order_lock, order_move, seats_release, seats_take


def hold_lapsed(order: Order, now=None) -> bool:
    now = now or timezone.now()
    return (
        order.status == OrderStatus.PENDING_PAYMENT
        and order.hold_expires_at is not None
        and order.hold_expires_at <= now
    )


def decision_deadline(*, now, capture_before):
    """The artisan's deadline on a confirm-first order (the one rule): the earlier of the
    decision window and the authorisation's expiry minus a margin."""
    decide_by = now + timedelta(hours=settings.PENDING_ORDER_DECISION_HOURS)
    if capture_before:
        decide_by = min(
            decide_by, capture_before - timedelta(hours=settings.PENDING_ORDER_AUTH_MARGIN_HOURS)
        )
    return decide_by


def order_start_payment(*, order_id: int, return_url: str, cancel_url: str) -> PaymentSession:
    """Open the gateway's checkout for an order awaiting payment. Returns a PaymentSession.

    The gateway is called outside any transaction. While the order's current payment can
    still be paid (a second click, or a payment link sent by the pending-orders flow), the
    customer goes back to it. Once it cannot (declined, released, lapsed), a new checkout is
    opened, keyed after the previous one so retries of this attempt give the same checkout.
    """
    order = Order.objects.select_related("slot__workshop").get(pk=order_id)
    if order.status != OrderStatus.PENDING_PAYMENT or hold_lapsed(order):
        raise BookingError(_("This order can no longer be paid. Please book again."))
    gateway = get_gateway(order.payment_provider or None)
    previous = order.payment_intent_id
    if previous:
        url = gateway.checkout_url(previous)
        if url:
            return PaymentSession(provider=gateway.name, reference=previous, redirect_url=url)
    workshop = order.slot.workshop
    starts = timezone.localtime(order.slot.starts_at, workshop.tzinfo)
    session = gateway.create_payment(
        amount_cents=order_card_cents(order),  # the total less what a gift card pays
        currency=order.currency,
        description=f"{order.seats} × {workshop.title} · {starts:%Y-%m-%d %H:%M} · {order.reference}",
        # An order the artisan already accepted (a lapsed hold) is charged at once.
        manual_capture=order.requires_confirmation and order.decide_by is None,
        customer_email=order.customer_email,
        return_url=return_url,
        cancel_url=cancel_url,
        metadata={"order_id": order.pk, "reference": order.reference},
        idempotency_key=ledger_key(
            order.pk, "checkout", *(["after", previous] if previous else [])
        ),
    )
    # One conditional UPDATE (no lock-then-save): only if nobody moved the order meanwhile.
    Order.objects.filter(
        pk=order_id, status=OrderStatus.PENDING_PAYMENT, payment_intent_id=previous
    ).update(payment_provider=session.provider, payment_intent_id=session.reference)
    return session


def _holds_seats(order_id: int) -> bool:
    return bool(Order.objects.filter(pk=order_id).values_list("holds_seats", flat=True).first())


def order_apply_payment_state(*, order_id: int, state: IntentState) -> Order:
    """Bring the order in line with the payment's state at the provider. Idempotent.

    The one reconciliation service: the Stripe webhook, the dev checkout page, the return
    page and the confirm-first capture all end here.
    """
    light = state.status == IntentStatus.SUCCEEDED and _holds_seats(order_id)
    try:
        return _apply_payment_state(order_id, state, lock_slot=not light)
    except NeedSlotLock:
        return _apply_payment_state(order_id, state, lock_slot=True)


def _close(order: Order, to: str, *, fields=(), message: str = "") -> None:
    """End an order without confirmation (locked, slot locked): seats back, hook told."""
    order.closed_at = timezone.now()
    order_move(order, to, message=message, fields=["closed_at", *fields, *seats_release([order])])
    order_hooks.closed(order)
    giftcard_order_closed(order)


def _apply_payment_state(order_id: int, state: IntentState, *, lock_slot: bool) -> Order:  # noqa: C901
    settle_after = False
    with transaction.atomic():
        order = order_lock(order_id, slot=lock_slot)
        if not lock_slot and not order.holds_seats:
            raise NeedSlotLock
        fields = []
        if (
            state.reference
            and state.reference != order.payment_intent_id
            and state.reference.startswith(("pi_", "dev_"))
        ):
            order.payment_intent_id = state.reference  # the Checkout Session became a PaymentIntent
            fields.append("payment_intent_id")

        if state.status == IntentStatus.SUCCEEDED:
            payment_event_record(
                order,
                kind=PaymentEventKind.CAPTURED,
                key=ledger_key(order.pk, "captured"),
                amount_cents=state.amount_cents,
                provider_ref=state.reference,
            )
            if order.status == OrderStatus.CONFIRMED:
                pass
            elif order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CAPTURING) and (
                order.holds_seats or _try_take_seats(order)
            ):
                if fields:
                    order.save(update_fields=fields)
                    fields = []
                _confirm(order)
            elif order.status in (OrderStatus.PENDING_PAYMENT, *refunds.SETTLE_STATUSES):
                # Paid after the order ended (hold lapsed and seats gone, cancelled): refund.
                order.payment_error = _(
                    "The payment arrived after the booking had ended; it is refunded."
                )
                fields.append("payment_error")
                if order.status == OrderStatus.PENDING_PAYMENT:
                    _close(order, OrderStatus.EXPIRED, fields=fields, message=order.payment_error)
                    fields = []
                settle_after = True

        elif state.status == IntentStatus.AUTHORISED:
            if order.status == OrderStatus.PENDING_PAYMENT and order.requires_confirmation:
                _await_confirmation(order, state, fields)
                fields = []
            elif order.status in refunds.SETTLE_STATUSES:
                payment_event_record(
                    order,
                    kind=PaymentEventKind.AUTHORISED,
                    key=ledger_key(order.pk, "authorised"),
                    amount_cents=state.amount_cents,
                    provider_ref=state.reference,
                )
                settle_after = True  # an authorisation for an order that ended: release it

        elif state.status == IntentStatus.FAILED:
            if order.status == OrderStatus.PENDING_PAYMENT:
                order.payment_error = state.error or _("The payment was declined.")
                _close(
                    order,
                    OrderStatus.PAYMENT_FAILED,
                    fields=[*fields, "payment_error"],
                    message=order.payment_error,
                )
                fields = []
                payment_event_record(
                    order,
                    kind=PaymentEventKind.FAILED,
                    key=ledger_key(order.pk, "failed"),
                    amount_cents=state.amount_cents,
                    provider_ref=state.reference,
                    detail=order.payment_error,
                )

        elif state.status == IntentStatus.CANCELLED:
            if order.status == OrderStatus.PENDING_PAYMENT:
                _close(
                    order,
                    OrderStatus.EXPIRED,
                    fields=fields,
                    message="payment cancelled at the provider",
                )
                fields = []
            elif order.status == OrderStatus.AWAITING_CONFIRMATION:
                _close(
                    order,
                    OrderStatus.EXPIRED,
                    fields=fields,
                    message="authorisation cancelled at the provider",
                )
                fields = []
                payment_event_record(
                    order,
                    kind=PaymentEventKind.RELEASED,
                    key=ledger_key(order.pk, "released"),
                    provider_ref=state.reference,
                    detail="authorisation cancelled at the provider",
                )

        elif (
            state.error
            and order.status == OrderStatus.PENDING_PAYMENT
            and state.error != order.payment_error
        ):
            order.payment_error = state.error  # a declined attempt; the customer may try again
            fields.append("payment_error")

        if fields:
            order.save(update_fields=list(dict.fromkeys(fields)))
        if settle_after:
            transaction.on_commit(lambda: refunds.order_settle_soon(order.pk))
    return order


def _try_take_seats(order: Order) -> bool:
    try:
        seats_take(order.slot, order.seats)
    except SoldOut:
        return False
    order.holds_seats = True
    order.save(update_fields=["holds_seats"])
    return True


def _await_confirmation(order: Order, state: IntentState, fields) -> None:
    order.authorisation_expires_at = state.capture_before
    order.decide_by = decision_deadline(now=timezone.now(), capture_before=state.capture_before)
    order.hold_expires_at = None
    order.payment_error = ""
    order_move(
        order,
        OrderStatus.AWAITING_CONFIRMATION,
        actor=SYSTEM,
        fields=[
            *fields,
            "authorisation_expires_at",
            "decide_by",
            "hold_expires_at",
            "payment_error",
            "payment_intent_id",
        ],
    )
    payment_event_record(
        order,
        kind=PaymentEventKind.AUTHORISED,
        key=ledger_key(order.pk, "authorised"),
        amount_cents=state.amount_cents,
        provider_ref=state.reference,
    )
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template="bookings/emails/order_pending",
        context=order_context(order),
        language=order.language,
        key=f"order:{order.pk}:pending:email",
    )


def order_confirm(
    *, order_id: int, actor: Actor = SYSTEM, before=None, holds_seats: bool | None = None
) -> Order:
    """Confirm a paid (or captured) order: tickets, email with QR codes and .ics, SMS, hooks.

    `before(order)` runs first in the same transaction, under the order's lock (a capture's
    ledger row): what it writes is kept even when the order cannot be confirmed.
    `holds_seats`: what the caller last read of it (saves a read; a stale value is safe).
    """
    if holds_seats is None:
        holds_seats = _holds_seats(order_id)
    for lock_slot in (not holds_seats, True):
        try:
            with transaction.atomic():
                order = order_lock(order_id, slot=lock_slot)
                if before is not None:
                    before(order)
                if order.status == OrderStatus.CONFIRMED:
                    return order
                if can_move(ORDER_TRANSITIONS, order.status, OrderStatus.CONFIRMED):
                    _confirm(order, actor=actor)
                    return order
            raise BookingError(_("This order cannot be confirmed in its current state."))
        except NeedSlotLock:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _confirm(order: Order, *, actor: Actor = SYSTEM) -> None:
    """Inside the caller's transaction, with the slot and order locked."""
    if not can_move(ORDER_TRANSITIONS, order.status, OrderStatus.CONFIRMED):
        raise BookingError(_("This order cannot be confirmed in its current state."))
    if not order.holds_seats:
        if not getattr(order, "_slot_locked", True):
            raise NeedSlotLock
        seats_take(order.slot, order.seats)
        order.holds_seats = True
    order.confirmed_at = timezone.now()
    order.hold_expires_at = None
    order.payment_error = ""
    order_move(
        order,
        OrderStatus.CONFIRMED,
        actor=actor,
        fields=["confirmed_at", "hold_expires_at", "holds_seats", "payment_error"],
    )
    lines = list(order.lines.order_by("pk"))
    tickets = None if order.tickets.exists() else order_issue_tickets(order, lines=lines)
    order_send_tickets(
        order,
        template="bookings/emails/order_confirmed",
        key="confirmed",
        tickets=tickets,
        lines=lines,
    )
    giftcard_consume(order)
    order_hooks.confirmed(order)


def order_issue_tickets(order: Order, *, lines=None) -> list[Ticket]:
    """One ticket (a new code) per seat of each line, for an order that has none; returns them
    (`lines`: the order's lines in primary-key order, if already read)."""
    lines = lines if lines is not None else order.lines.order_by("pk")
    return Ticket.objects.bulk_create(
        Ticket(order=order, line=line, label=line.label)
        for line in lines
        for _n in range(line.quantity)
    )


def order_send_tickets(
    order: Order,
    *,
    template: str,
    key: str,
    context=None,
    sms: bool = True,
    tickets=None,
    lines=None,
) -> None:
    """Email the customer the order's tickets (QR codes) and calendar file, and an SMS; in the
    caller's transaction, once per `key` (`order:<id>:<key>:email` / `:sms`). `tickets` and
    `lines`: the order's, if already at hand."""
    tickets = list(order.tickets.all()) if tickets is None else tickets
    lines = list(order.lines.order_by("pk")) if lines is None else lines
    context = {**order_context(order, lines=lines), "tickets": tickets, **(context or {})}
    attachments = [Attachment(f"atelier-{order.reference}.ics", order_ics(order), "text/calendar")]
    attachments += [
        Attachment.qr_png(f"ticket-{n}-{order.reference}.png", ticket.code)
        for n, ticket in enumerate(tickets, start=1)
    ]
    # One insert for both (one query to look the keys up, one savepoint, one insert).
    same = dict(template=template, context=context, language=order.language)
    messages = [
        OutgoingMessage(
            channel=Channel.EMAIL,
            recipient=order.customer_email,
            key=f"order:{order.pk}:{key}:email",
            attachments=tuple(attachments),
            **same,
        )
    ]
    if sms:
        messages.append(
            OutgoingMessage(
                channel=Channel.SMS,
                recipient=order.customer_phone,
                key=f"order:{order.pk}:{key}:sms",
                **same,
            )
        )
    notifications_enqueue_bulk(messages=messages)


def order_context(order: Order, *, lines=None) -> dict:
    """What an email about an order shows (`lines`: the order's lines, if already read)."""
    return {
        "order": order,
        "slot": order.slot,
        "workshop": order.slot.workshop,
        "lines": list(order.lines.all()) if lines is None else lines,
        "order_url": order_url(order),
        "site_url": settings.SITE_URL,
    }


def order_pay_by_gift_card(*, order_id: int) -> Order:
    """An order its gift card pays in full: no card step. Confirmed now, or (confirm-first)
    waiting for the artisan with the amount reserved (consumed when accepted).

    An order holding its seats is confirmed under its own lock, not its slot's (as `order_confirm`)."""
    for lock_slot in (not _holds_seats(order_id), True):
        try:
            with transaction.atomic():
                order = order_lock(order_id, slot=lock_slot)
                _pay_by_gift_card(order)
            return order
        except NeedSlotLock:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _pay_by_gift_card(order: Order) -> None:
    if order.status != OrderStatus.PENDING_PAYMENT or hold_lapsed(order):
        raise BookingError(_("This order can no longer be paid. Please book again."))
    if order_card_cents(order) != 0:
        raise BookingError(_("The gift card does not cover this order."))
    if order.requires_confirmation:
        nothing_held = IntentState(
            reference="", status=IntentStatus.AUTHORISED, amount_cents=0, currency=order.currency
        )
        _await_confirmation(order, nothing_held, [])
    else:
        _confirm(order, actor=CUSTOMER)
