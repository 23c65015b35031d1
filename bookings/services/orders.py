"""Orders: place, pay, confirm, expire, cancel and refund.

Public API (other apps call these):
    order_place, order_create, order_start_payment, order_apply_payment_state, order_confirm,
    order_take_seats, order_expire_hold, orders_release_lapsed_holds, order_cancel_and_refund,
    orders_refund_for_cancelled_slot, order_settle_payment, orders_settle_payments.

Lock order: the slot row first, then the order row (`_lock`), everywhere.
Seats: an order counts in `slot.seats_taken` while `order.holds_seats` is true; it is set
when seats are taken (conditional update under the slot lock) and cleared when they are
released, so seats go back exactly once. Confirm-first orders take no seat when placed: the
pending-orders flow calls `order_take_seats` before it captures, and `order_confirm` takes
them itself if nobody did.
Gateway calls never run inside a transaction: they happen before it (`order_start_payment`)
or after commit (`order_settle_payment`).
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.services import Attachment, notification_enqueue
from notifications.states import Channel

from ..hooks import order_hooks
from ..models import Order, OrderLine, PaymentEvent, Slot, Ticket, TicketType
from ..payments import IntentState, IntentStatus, PaymentError, PaymentUnavailable, get_gateway
from ..payments.base import PaymentSession
from ..selectors.tickets import order_ics, order_url, ticket_qr_png
from ..states import (
    ORDER_TRANSITIONS,
    OrderStatus,
    PaymentEventKind,
    SlotKind,
    SlotStatus,
    can_move,
)

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Orders ended by us whose money may still need to go back (refund / release).
SETTLE_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.PAYMENT_FAILED)


class BookingError(Exception):
    """A booking rule refused the action; `message` is safe to show to the customer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SoldOut(BookingError):
    def __init__(self, seats_left: int):
        self.seats_left = seats_left
        if seats_left <= 0:
            message = _("Sorry, this session is sold out.")
        else:
            message = ngettext(
                "Sorry, only %(count)d seat is left for this session.",
                "Sorry, only %(count)d seats are left for this session.",
                seats_left,
            ) % {"count": seats_left}
        super().__init__(message)


@dataclass(frozen=True)
class LineSpec:
    """One line of a new order. `ticket_type_id` is None for lines priced elsewhere (private sessions)."""

    label: str
    quantity: int
    unit_price_cents: int
    ticket_type_id: int | None = None


def _as_line(line) -> LineSpec:
    if isinstance(line, LineSpec):
        return line
    if isinstance(line, dict):
        ticket_type = line.get("ticket_type")
        return LineSpec(
            label=line["label"],
            quantity=int(line["quantity"]),
            unit_price_cents=int(line["unit_price_cents"]),
            ticket_type_id=line.get("ticket_type_id") or (ticket_type.pk if ticket_type else None),
        )
    raise TypeError(f"not an order line: {line!r}")


def _new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def _event(order: Order, *, kind: str, key: str, amount_cents: int = 0, provider_ref: str = "", detail: str = ""):
    """Append a payment event once per key."""
    PaymentEvent.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "order": order,
            "kind": kind,
            "amount_cents": amount_cents,
            "currency": order.currency,
            "provider": order.payment_provider or "none",
            "provider_ref": provider_ref or order.payment_intent_id,
            "detail": detail[:2000],
        },
    )


# --- seats -------------------------------------------------------------------------------------


def _take_seats(slot: Slot, seats: int) -> None:
    """Add `seats` to a slot locked by the caller; never above capacity."""
    left = slot.capacity - slot.seats_taken
    if seats > left:
        raise SoldOut(left)
    updated = Slot.objects.filter(pk=slot.pk, seats_taken__lte=F("capacity") - seats).update(
        seats_taken=F("seats_taken") + seats
    )
    if updated != 1:  # cannot happen under the lock; the database constraint is the last word
        raise SoldOut(0)
    slot.seats_taken += seats


def _release_seats(order: Order) -> list[str]:
    """Give the order's seats back (once). Returns the order fields changed."""
    if not order.holds_seats:
        return []
    Slot.objects.filter(pk=order.slot_id).update(seats_taken=F("seats_taken") - order.seats)
    order.holds_seats = False
    return ["holds_seats"]


class _NeedSlotLock(Exception):
    """Raised inside a transaction that locked only the order but must move seats: retry."""


def _lock(order_id: int, *, slot: bool = True) -> Order:
    """Lock the order's slot, then the order (one lock order everywhere).

    `slot=False` locks the order alone: for confirming an order that already holds its seats,
    so confirmations on a busy slot do not queue behind each other. Seats are only ever
    released under the order's lock, so `holds_seats` cannot change while it is held.
    """
    if slot:
        slot_id = Order.objects.filter(pk=order_id).values_list("slot_id", flat=True).first()
        if slot_id is None:
            raise Order.DoesNotExist(f"order {order_id}")
        list(Slot.objects.select_for_update().filter(pk=slot_id))
    order = Order.objects.select_for_update(of=("self",)).select_related("slot__workshop__artisan").get(pk=order_id)
    order._slot_locked = slot
    return order


def _holds_seats(order_id: int) -> bool:
    return bool(Order.objects.filter(pk=order_id).values_list("holds_seats", flat=True).first())


def order_take_seats(*, order_id: int) -> Order:
    """Count a confirm-first order's seats in its slot (before capturing it). Raises SoldOut."""
    with transaction.atomic():
        order = _lock(order_id)
        if order.holds_seats:
            return order
        _take_seats(order.slot, order.seats)
        order.holds_seats = True
        order.save(update_fields=["holds_seats"])
    return order


# --- placing an order -------------------------------------------------------------------------


def order_place(
    *, slot_id: int, quantities: dict[int, int], customer_name: str, customer_email: str,
    customer_phone: str = "", language: str = "en",
) -> Order:
    """A storefront booking: seats per ticket type of the slot's workshop."""
    quantities = {int(pk): int(qty) for pk, qty in quantities.items() if int(qty or 0) > 0}
    if not quantities:
        raise BookingError(_("Choose at least one seat."))
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("workshop").filter(pk=slot_id).first()
        if slot is None or slot.kind != SlotKind.PUBLIC or slot.status != SlotStatus.OPEN:
            raise BookingError(_("This session is not open for booking."))
        if slot.starts_at <= timezone.now():
            raise BookingError(_("This session has already started."))
        types = {
            t.pk: t
            for t in TicketType.objects.filter(workshop_id=slot.workshop_id, is_active=True, pk__in=quantities)
        }
        if set(quantities) - set(types):
            raise BookingError(_("One of the tickets you chose is not on sale any more."))
        kinds = {types[pk].requires_confirmation for pk in quantities}
        if len(kinds) > 1:
            raise BookingError(
                _(
                    "Tickets that the artisan must accept first cannot be booked together with other "
                    "tickets. Please make two bookings."
                )
            )
        requires_confirmation = kinds.pop()
        lines = [
            LineSpec(label=t.name, quantity=quantities[t.pk], unit_price_cents=t.price_cents, ticket_type_id=t.pk)
            for t in sorted(types.values(), key=lambda t: (t.position, t.pk))
        ]
        return order_create(
            slot=slot,
            lines=lines,
            customer_name=customer_name,
            customer_email=customer_email,
            customer_phone=customer_phone,
            language=language,
            source="storefront",
            requires_confirmation=requires_confirmation,
            take_seats=not requires_confirmation,
        )


def order_create(
    *, slot: Slot, lines, customer_name: str, customer_email: str, customer_phone: str = "",
    language: str = "en", source: str = "storefront", requires_confirmation: bool = False,
    take_seats: bool = True,
) -> Order:
    """Build an order on `slot` from `lines` (LineSpec or dicts with label/quantity/unit_price_cents).

    With `take_seats` the seats are counted at once (raises SoldOut when they are not there)
    and held until CHECKOUT_HOLD_MINUTES have passed without payment.
    """
    lines = [_as_line(line) for line in lines]
    seats = sum(line.quantity for line in lines)
    if seats < 1 or any(line.quantity < 1 for line in lines):
        raise BookingError(_("Choose at least one seat."))
    now = timezone.now()
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("workshop").get(pk=slot.pk)
        if slot.status == SlotStatus.CANCELLED:
            raise BookingError(_("This session has been cancelled."))
        if seats > slot.capacity:
            raise BookingError(
                ngettext(
                    "This session has %(count)d seat in all.",
                    "This session has %(count)d seats in all.",
                    slot.capacity,
                )
                % {"count": slot.capacity}
            )
        if take_seats:
            _take_seats(slot, seats)
        fields = dict(
            slot=slot,
            customer_name=customer_name,
            customer_email=customer_email,
            customer_phone=customer_phone or "",
            language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
            seats=seats,
            total_cents=sum(line.quantity * line.unit_price_cents for line in lines),
            currency=slot.workshop.currency,
            source=source,
            requires_confirmation=requires_confirmation,
            holds_seats=take_seats,
            hold_expires_at=now + timedelta(minutes=settings.CHECKOUT_HOLD_MINUTES),
        )
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    order = Order.objects.create(reference=_new_reference(), **fields)
                break
            except IntegrityError:  # a reference collision: draw again
                continue
        else:  # pragma: no cover - 32^8 references
            raise BookingError(_("Please try again."))
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                ticket_type_id=line.ticket_type_id,
                label=line.label,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
            for line in lines
        )
    return order


# --- paying ----------------------------------------------------------------------------------


def hold_lapsed(order: Order, now=None) -> bool:
    now = now or timezone.now()
    return order.status == OrderStatus.PENDING_PAYMENT and order.hold_expires_at is not None and order.hold_expires_at <= now


def order_start_payment(*, order_id: int, return_url: str, cancel_url: str):
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
        amount_cents=order.total_cents,
        currency=order.currency,
        description=f"{order.seats} × {workshop.title} · {starts:%Y-%m-%d %H:%M} · {order.reference}",
        # An order the artisan already accepted (a lapsed hold) is charged at once.
        manual_capture=order.requires_confirmation and order.decide_by is None,
        customer_email=order.customer_email,
        return_url=return_url,
        cancel_url=cancel_url,
        metadata={"order_id": order.pk, "reference": order.reference},
        idempotency_key=f"order:{order.pk}:checkout" + (f":after:{previous}" if previous else ""),
    )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == OrderStatus.PENDING_PAYMENT and order.payment_intent_id == previous:
            order.payment_provider = session.provider
            order.payment_intent_id = session.reference
            order.save(update_fields=["payment_provider", "payment_intent_id"])
    return session


def order_apply_payment_state(*, order_id: int, state: IntentState) -> Order:
    """Bring the order in line with the payment's state at the provider. Idempotent.

    The one reconciliation service: the Stripe webhook, the dev checkout page and the return
    page all end here.
    """
    light = state.status == IntentStatus.SUCCEEDED and _holds_seats(order_id)
    try:
        return _apply_payment_state(order_id, state, lock_slot=not light)
    except _NeedSlotLock:
        return _apply_payment_state(order_id, state, lock_slot=True)


def _apply_payment_state(order_id: int, state: IntentState, *, lock_slot: bool) -> Order:
    settle_after = False
    with transaction.atomic():
        order = _lock(order_id, slot=lock_slot)
        if not lock_slot and not order.holds_seats:
            raise _NeedSlotLock
        fields = []
        if state.reference and state.reference != order.payment_intent_id and state.reference.startswith(("pi_", "dev_")):
            order.payment_intent_id = state.reference  # the Checkout Session became a PaymentIntent
            fields.append("payment_intent_id")

        if state.status == IntentStatus.SUCCEEDED:
            _event(order, kind=PaymentEventKind.CAPTURED, key=f"order:{order.pk}:captured",
                   amount_cents=state.amount_cents, provider_ref=state.reference)
            if order.status == OrderStatus.CONFIRMED:
                pass
            elif order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CAPTURING) and (
                order.holds_seats or _try_take_seats(order)
            ):
                if fields:
                    order.save(update_fields=fields)
                    fields = []
                _confirm(order)
            elif order.status in (OrderStatus.PENDING_PAYMENT, *SETTLE_STATUSES):
                # Paid after the order ended (hold lapsed and seats gone, cancelled): refund.
                if order.status == OrderStatus.PENDING_PAYMENT:
                    order.status = OrderStatus.EXPIRED
                    order.closed_at = timezone.now()
                    fields += ["status", "closed_at"]
                    order_hooks.closed(order)
                order.payment_error = _("The payment arrived after the booking had ended; it is refunded.")
                fields.append("payment_error")
                settle_after = True

        elif state.status == IntentStatus.AUTHORISED:
            if order.status == OrderStatus.PENDING_PAYMENT and order.requires_confirmation:
                _await_confirmation(order, state)
                fields = []
            elif order.status in SETTLE_STATUSES:
                _event(order, kind=PaymentEventKind.AUTHORISED, key=f"order:{order.pk}:authorised",
                       amount_cents=state.amount_cents, provider_ref=state.reference)
                settle_after = True  # an authorisation for an order that ended: release it

        elif state.status == IntentStatus.FAILED:
            if order.status == OrderStatus.PENDING_PAYMENT:
                order.status = OrderStatus.PAYMENT_FAILED
                order.payment_error = state.error or _("The payment was declined.")
                order.closed_at = timezone.now()
                fields += ["status", "payment_error", "closed_at", *_release_seats(order)]
                _event(order, kind=PaymentEventKind.FAILED, key=f"order:{order.pk}:failed",
                       amount_cents=state.amount_cents, provider_ref=state.reference, detail=order.payment_error)
                order_hooks.closed(order)

        elif state.status == IntentStatus.CANCELLED:
            if order.status == OrderStatus.PENDING_PAYMENT:
                order.status = OrderStatus.EXPIRED
                order.closed_at = timezone.now()
                fields += ["status", "closed_at", *_release_seats(order)]
                order_hooks.closed(order)
            elif order.status == OrderStatus.AWAITING_CONFIRMATION:
                order.status = OrderStatus.EXPIRED
                order.closed_at = timezone.now()
                fields += ["status", "closed_at", *_release_seats(order)]
                _event(order, kind=PaymentEventKind.RELEASED, key=f"order:{order.pk}:released",
                       provider_ref=state.reference, detail="authorisation cancelled at the provider")
                order_hooks.closed(order)

        elif state.error and order.status == OrderStatus.PENDING_PAYMENT and state.error != order.payment_error:
            order.payment_error = state.error  # a declined attempt; the customer may try again
            fields.append("payment_error")

        if fields:
            order.save(update_fields=list(dict.fromkeys(fields)))
        if settle_after:
            transaction.on_commit(lambda: _settle_soon(order.pk))
    return order


def _try_take_seats(order: Order) -> bool:
    try:
        _take_seats(order.slot, order.seats)
    except SoldOut:
        return False
    order.holds_seats = True
    order.save(update_fields=["holds_seats"])
    return True


def _await_confirmation(order: Order, state: IntentState) -> None:
    now = timezone.now()
    decide_by = now + timedelta(hours=settings.PENDING_ORDER_DECISION_HOURS)
    if state.capture_before:
        decide_by = min(decide_by, state.capture_before - timedelta(hours=settings.PENDING_ORDER_AUTH_MARGIN_HOURS))
    if not can_move(ORDER_TRANSITIONS, order.status, OrderStatus.AWAITING_CONFIRMATION):
        raise BookingError(_("This order cannot wait for confirmation in its current state."))
    order.status = OrderStatus.AWAITING_CONFIRMATION
    order.authorisation_expires_at = state.capture_before
    order.decide_by = decide_by
    order.hold_expires_at = None
    order.payment_error = ""
    order.save(update_fields=[
        "status", "authorisation_expires_at", "decide_by", "hold_expires_at", "payment_error", "payment_intent_id",
    ])
    _event(order, kind=PaymentEventKind.AUTHORISED, key=f"order:{order.pk}:authorised",
           amount_cents=state.amount_cents, provider_ref=state.reference)
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template="bookings/emails/order_pending",
        context=_context(order),
        language=order.language,
        key=f"order:{order.pk}:pending:email",
    )


# --- confirming ------------------------------------------------------------------------------


def order_confirm(*, order_id: int) -> Order:
    """Confirm a paid (or captured) order: tickets, email with QR codes and .ics, SMS, hooks."""
    for lock_slot in (not _holds_seats(order_id), True):
        try:
            with transaction.atomic():
                order = _lock(order_id, slot=lock_slot)
                if order.status == OrderStatus.CONFIRMED:
                    return order
                _confirm(order)
            return order
        except _NeedSlotLock:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _confirm(order: Order) -> None:
    """Inside the caller's transaction, with the slot and order locked."""
    if not can_move(ORDER_TRANSITIONS, order.status, OrderStatus.CONFIRMED):
        raise BookingError(_("This order cannot be confirmed in its current state."))
    if not order.holds_seats:
        if not getattr(order, "_slot_locked", True):
            raise _NeedSlotLock
        _take_seats(order.slot, order.seats)
        order.holds_seats = True
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = timezone.now()
    order.hold_expires_at = None
    order.payment_error = ""
    order.save(update_fields=["status", "confirmed_at", "hold_expires_at", "holds_seats", "payment_error"])
    if not order.tickets.exists():
        Ticket.objects.bulk_create(
            Ticket(order=order, line=line, label=line.label)
            for line in order.lines.order_by("pk")
            for _n in range(line.quantity)
        )
    tickets = list(order.tickets.all())
    context = {**_context(order), "tickets": tickets}
    attachments = [Attachment(f"atelier-{order.reference}.ics", order_ics(order), "text/calendar")]
    attachments += [
        Attachment(f"ticket-{n}-{order.reference}.png", ticket_qr_png(ticket.code), "image/png")
        for n, ticket in enumerate(tickets, start=1)
    ]
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template="bookings/emails/order_confirmed",
        context=context,
        language=order.language,
        key=f"order:{order.pk}:confirmed:email",
        attachments=attachments,
    )
    notification_enqueue(
        channel=Channel.SMS,
        recipient=order.customer_phone,
        template="bookings/emails/order_confirmed",
        context=context,
        language=order.language,
        key=f"order:{order.pk}:confirmed:sms",
    )
    order_hooks.confirmed(order)


def _context(order: Order) -> dict:
    return {
        "order": order,
        "slot": order.slot,
        "workshop": order.slot.workshop,
        "lines": list(order.lines.all()),
        "order_url": order_url(order),
        "site_url": settings.SITE_URL,
    }


# --- holds that lapse ------------------------------------------------------------------------


def order_expire_hold(*, order_id: int, now=None) -> Order:
    """End an unpaid checkout whose hold has lapsed: seats go back, once."""
    return _expire_hold(order_id, now)[0]


def _expire_hold(order_id: int, now=None) -> tuple[Order, bool]:
    """`order_expire_hold`, and whether this call expired it (not a concurrent job)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock(order_id)
        if order.status != OrderStatus.PENDING_PAYMENT or not hold_lapsed(order, now):
            return order, False
        order.status = OrderStatus.EXPIRED
        order.closed_at = now
        fields = ["status", "closed_at", *_release_seats(order)]
        order.save(update_fields=fields)
        order_hooks.closed(order)
        if order.payment_intent_id:
            # Close the checkout at the provider, so nobody pays for seats that went back.
            transaction.on_commit(lambda: _settle_soon(order.pk))
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
            if state is not None and state.status in (IntentStatus.SUCCEEDED, IntentStatus.AUTHORISED):
                order_apply_payment_state(order_id=pk, state=state)
                continue
        expired += _expire_hold(pk, now)[1]  # a concurrent run may have expired it first
    return expired


# --- cancelling and refunding ----------------------------------------------------------------

CANCELLABLE = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.AWAITING_CONFIRMATION,
    OrderStatus.CONFIRMED,
    OrderStatus.CAPTURE_FAILED,
)


def order_cancel_and_refund(*, order_id: int, reason: str = "") -> Order:
    """Cancel an order (artisan or ops): seats back, customer told; the money goes back after commit."""
    with transaction.atomic():
        order = _lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if not can_move(ORDER_TRANSITIONS, order.status, OrderStatus.CANCELLED):
            raise BookingError(_("This order cannot be cancelled in its current state."))
        was_paid = order.status == OrderStatus.CONFIRMED
        order.status = OrderStatus.CANCELLED
        order.decision_message = reason
        order.closed_at = timezone.now()
        order.hold_expires_at = None
        fields = ["status", "decision_message", "closed_at", "hold_expires_at", *_release_seats(order)]
        order.save(update_fields=fields)
        context = {**_context(order), "reason": reason, "was_paid": was_paid}
        notification_enqueue(
            channel=Channel.EMAIL, recipient=order.customer_email, template="bookings/emails/order_cancelled",
            context=context, language=order.language, key=f"order:{order.pk}:cancelled:email",
        )
        notification_enqueue(
            channel=Channel.SMS, recipient=order.customer_phone, template="bookings/emails/order_cancelled",
            context=context, language=order.language, key=f"order:{order.pk}:cancelled:sms",
        )
        order_hooks.closed(order)
        if order.payment_intent_id:
            transaction.on_commit(lambda: _settle_soon(order.pk))
    return order


def orders_refund_for_cancelled_slot(*, slot_id: int, message: str = "") -> list[int]:
    """Cancel and refund every live order of a cancelled slot; each participant is told."""
    ids = list(
        Order.objects.filter(slot_id=slot_id, status__in=CANCELLABLE).order_by("pk").values_list("pk", flat=True)
    )
    for pk in ids:
        order_cancel_and_refund(order_id=pk, reason=message)
    return ids


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
        key = f"order:{order.pk}:refund"
        refund_id = gateway.refund(reference=order.payment_intent_id, amount_cents=amount, idempotency_key=key)
        _event(order, kind=PaymentEventKind.REFUNDED, key=key, amount_cents=amount, provider_ref=refund_id)
        return "refunded"
    # Authorisations of orders that waited for the artisan are the pending-orders flow's to
    # release (refused, expired); this releases those of orders cancelled here or never placed.
    ours = order.status == OrderStatus.CANCELLED or order.decide_by is None
    if ours and PaymentEventKind.AUTHORISED in kinds and not kinds & {PaymentEventKind.CAPTURED, PaymentEventKind.RELEASED}:
        key = f"order:{order.pk}:release"
        gateway.cancel(reference=order.payment_intent_id, idempotency_key=key)
        _event(order, kind=PaymentEventKind.RELEASED, key=key, amount_cents=order.total_cents)
        return "released"
    if not kinds:
        # An unpaid checkout: close it. If the customer paid meanwhile, reconcile instead.
        try:
            state = gateway.retrieve(order.payment_intent_id)
            if state.status in (IntentStatus.SUCCEEDED, IntentStatus.AUTHORISED):
                order_apply_payment_state(order_id=order.pk, state=state)
                return order_settle_payment(order_id=order.pk)
            if state.status == IntentStatus.REQUIRES_PAYMENT:
                gateway.cancel(reference=order.payment_intent_id, idempotency_key=f"order:{order.pk}:close")
        except PaymentUnavailable:
            raise
        except PaymentError as exc:
            logger.info("Checkout of order %s not closed: %s", order.pk, exc)
        return "closed"
    return "nothing"


def _settle_soon(order_id: int) -> None:
    """After commit: settle now; when the provider is unavailable, a task retries (and the sweeper)."""
    try:
        order_settle_payment(order_id=order_id)
    except PaymentError as exc:
        logger.warning("Settling order %s failed (%s); retrying later", order_id, exc)
        from ..tasks import settle_order_payment

        try:
            settle_order_payment.apply_async(args=[order_id], countdown=60, retry=False)
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
