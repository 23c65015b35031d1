"""Placing an order: the storefront booking and the order builder other flows call."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Order, OrderLine, Slot, TicketType
from ..states import OrderSource, SlotKind, SlotStatus
from .errors import BookingError, SoldOut
from .giftcards import giftcard_reserve
from .holds import unpaid_orders_replace
from .transitions import seats_take

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class LineSpec:
    """One line of a new order. `ticket_type_id` is None for lines priced elsewhere (private sessions)."""

    label: str
    quantity: int
    unit_price_cents: int
    ticket_type_id: int | None = None


def _new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def order_place(
    *,
    slot_id: int,
    quantities: dict[int, int],
    customer_name: str,
    customer_email: str,
    customer_phone: str = "",
    language: str = "en",
    form_token: str = "",
    gift_card_code: str = "",
    gift_card_cents: int = 0,
) -> Order:
    """A storefront booking: seats per ticket type of the slot's workshop.

    The same `form_token` twice (a double click, back and submit again) gives back the first
    order. A new booking ends the customer's earlier unpaid order on the slot (seats back at once).
    With a gift card code, up to `gift_card_cents` (what the customer was shown) of the card is
    reserved for the order in the same transaction (once per order); the card pays the rest."""
    quantities = {int(pk): int(qty) for pk, qty in quantities.items() if int(qty or 0) > 0}
    if not quantities:
        raise BookingError(_("Choose at least one seat."))
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update().select_related("workshop").filter(pk=slot_id).first()
        )
        if slot is None:
            raise BookingError(_("This session is not open for booking."))
        same = form_token and Order.objects.filter(slot_id=slot.pk, form_token=form_token).first()
        if same:
            return same
        if slot.kind != SlotKind.PUBLIC or slot.status != SlotStatus.OPEN:
            raise BookingError(_("This session is not open for booking."))
        if slot.starts_at <= timezone.now():
            raise BookingError(_("This session has already started."))
        types = {
            t.pk: t
            for t in TicketType.objects.filter(
                workshop_id=slot.workshop_id, is_active=True, pk__in=quantities
            )
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
            LineSpec(
                label=t.name,
                quantity=quantities[t.pk],
                unit_price_cents=t.price_cents,
                ticket_type_id=t.pk,
            )
            for t in sorted(types.values(), key=lambda t: (t.position, t.pk))
        ]
        if unpaid_orders_replace(slot_id=slot.pk, customer_email=customer_email):
            slot.refresh_from_db(fields=["seats_taken"])  # the replaced holds gave seats back
        order = _order_create_locked(
            slot=slot,
            lines=lines,
            customer_name=customer_name,
            customer_email=customer_email,
            customer_phone=customer_phone,
            language=language,
            source=OrderSource.STOREFRONT,
            requires_confirmation=requires_confirmation,
            # A confirm-first order holds its seats while the artisan decides; beyond capacity
            # it joins the waiting list (holds none; accepting it needs a seat to free up).
            take_seats=True,
            wait_if_full=requires_confirmation,
            form_token=form_token,
        )
        if gift_card_code:
            giftcard_reserve(order=order, code=gift_card_code, amount_cents=gift_card_cents)
        return order


def order_create(
    *,
    slot: Slot,
    lines: list[LineSpec],
    customer_name: str,
    customer_email: str,
    customer_phone: str = "",
    language: str = "en",
    source: str = OrderSource.STOREFRONT,
    requires_confirmation: bool = False,
    take_seats: bool = True,
    wait_if_full: bool = False,
    total_cents: int | None = None,
    form_token: str = "",
) -> Order:
    """Build an order on `slot` from `lines`.

    `total_cents` is the price when it is not the sum of the lines (a private session priced by
    its request or quote); by default the lines are summed. With `take_seats` the seats are
    counted at once (raises SoldOut when they are not there) and held until
    CHECKOUT_HOLD_MINUTES have passed without payment. With `wait_if_full` too, an order whose
    seats are not there is still made, holding none: it waits for a seat (confirm-first orders).
    """
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("workshop").get(pk=slot.pk)
        return _order_create_locked(
            slot=slot,
            lines=lines,
            customer_name=customer_name,
            customer_email=customer_email,
            customer_phone=customer_phone,
            language=language,
            source=source,
            requires_confirmation=requires_confirmation,
            take_seats=take_seats,
            wait_if_full=wait_if_full,
            total_cents=total_cents,
            form_token=form_token,
        )


def _order_create_locked(
    *,
    slot: Slot,
    lines: list[LineSpec],
    customer_name: str,
    customer_email: str,
    customer_phone: str,
    language: str,
    source: str,
    requires_confirmation: bool,
    take_seats: bool,
    wait_if_full: bool,
    total_cents: int | None = None,
    form_token: str = "",
) -> Order:
    """`order_create` on a slot the caller locked (with its workshop) in this transaction:
    `order_place` reads it under its lock already, a second SELECT … FOR UPDATE would only
    cost a round trip."""
    seats = sum(line.quantity for line in lines)
    if seats < 1 or any(line.quantity < 1 for line in lines):
        raise BookingError(_("Choose at least one seat."))
    if total_cents is not None and total_cents < 0:
        raise BookingError(_("The price cannot be negative."))
    now = timezone.now()
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
        try:
            seats_take(slot, seats)
        except SoldOut:
            if not wait_if_full:
                raise
            take_seats = False
    fields = dict(
        slot=slot,
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone or "",
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        seats=seats,
        total_cents=(
            sum(line.quantity * line.unit_price_cents for line in lines)
            if total_cents is None
            else total_cents
        ),
        currency=slot.workshop.currency,
        source=source,
        requires_confirmation=requires_confirmation,
        holds_seats=take_seats,
        hold_expires_at=now + timedelta(minutes=settings.CHECKOUT_HOLD_MINUTES),
        form_token=form_token,
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
