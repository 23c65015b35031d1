"""After the booking: what a customer may still change, moving an order to another date,
cancelling it (all or part of the money back), withdrawing a confirm-first order still waiting
for the artisan, resending the confirmation; and the choice offered to the customers of a date
the artisan cancelled (another date or a refund; refunded by the system without an answer).

Customers act from their order's token link (`actor=CUSTOMER`), artisans from the back-office
(`Actor.artisan(user)`, `by_artisan=True` for a move); both end in these functions.

Lock order: the slots (the order's and the target, in id order, `slots_lock`), then the order —
as everywhere. Money goes back after commit through the one refund path
(`refunds.order_settle_soon`: the gateway with the ledger key `order:<id>:refund`, retried by
a task and the sweeper when the provider is unreachable).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.services import notification_enqueue
from notifications.states import Channel

from ..formatting import format_when
from ..models import GiftCard, Order, Slot, Workshop
from ..selectors.giftcards import gift_card_made_from
from ..states import SYSTEM, Actor, ActorKind, OrderStatus, SlotKind, SlotStatus
from . import checkout
from .errors import BookingError
from .giftcards import giftcard_issue_for_order
from .refunds import PAID_STATUSES, order_cancel_locked
from .transitions import (
    for_update,
    order_lock,
    order_move,
    order_note,
    orders_move,
    seats_release,
    seats_take,
    slots_lock,
)


@dataclass(frozen=True)
class ChangeOptions:
    """What the customer may still do with an order, and until when (`deadline`, aware)."""

    can_move: bool
    can_cancel: bool
    can_withdraw: bool
    deadline: datetime | None
    moves_left: int
    reason_if_not: str = ""
    # The artisan cancelled the date: the customer chooses another date (not counted) or a
    # refund before `deadline`. (A third choice, a gift card, comes with the gift-card work.)
    slot_cancelled: bool = False


def _moves_left(order: Order) -> int:
    return max(settings.ATELIER_MAX_MOVES - order.moves_count, 0)


def order_change_options(order: Order, *, now=None) -> ChangeOptions:
    """What the customer may do now: the one rule the order page and the services share."""
    now = now or timezone.now()
    moves_left = _moves_left(order)
    if order.status == OrderStatus.AWAITING_CHOICE:
        still = order.choose_by is None or now < order.choose_by
        return ChangeOptions(
            can_move=still,
            can_cancel=still,
            can_withdraw=False,
            deadline=order.choose_by,
            moves_left=moves_left,
            reason_if_not=""
            if still
            else _("The time to choose is over: your booking is being refunded."),
            slot_cancelled=True,
        )
    if order.status == OrderStatus.AWAITING_CONFIRMATION and order.requires_confirmation:
        return ChangeOptions(False, False, True, None, moves_left)
    if order.status != OrderStatus.CONFIRMED:
        return ChangeOptions(
            False, False, False, None, moves_left, _("This booking can no longer be changed.")
        )
    if order.slot.kind != SlotKind.PUBLIC:
        return ChangeOptions(
            False,
            False,
            False,
            None,
            moves_left,
            _("A private session is moved or cancelled with the artisan."),
        )
    workshop = order.slot.workshop
    deadline = workshop.change_deadline(order.slot.starts_at)
    if now >= deadline:
        reason = ngettext(
            "Free moves and cancellations end %(days)d day before the workshop; "
            "that time has passed.",
            "Free moves and cancellations end %(days)d days before the workshop; "
            "that time has passed.",
            workshop.change_deadline_days,
        ) % {"days": workshop.change_deadline_days}
        return ChangeOptions(False, False, False, deadline, moves_left, reason)
    reason = ""
    if not moves_left:
        reason = ngettext(
            "This booking was moved %(count)d time, the most allowed; it can still be cancelled.",
            "This booking was moved %(count)d times, the most allowed; it can still be cancelled.",
            order.moves_count,
        ) % {"count": order.moves_count}
    return ChangeOptions(moves_left > 0, True, False, deadline, moves_left, reason)


def order_move_targets(order: Order, *, now=None) -> list[Slot]:
    """The other public dates of the order's workshop a customer may move to (enough seats)."""
    now = now or timezone.now()
    return [
        slot
        for slot in Slot.objects.filter(
            workshop_id=order.slot.workshop_id,
            kind=SlotKind.PUBLIC,
            status=SlotStatus.OPEN,
            starts_at__gt=now,
        )
        .exclude(pk=order.slot_id)
        .order_by("starts_at")
        if slot.seats_left >= order.seats
    ]


# --- move --------------------------------------------------------------------------------------


def order_rebook(
    *,
    order_id: int,
    slot_id: int,
    actor: Actor,
    by_artisan: bool = False,
    counted: bool = True,
    message: str = "",
) -> Order:
    """Move an order to another slot: seats move atomically, tickets are re-issued (the old QR
    codes stop being valid), a history row, the customer (and the artisan, for a customer's
    move) told, the calendar file keeps its UID with a higher SEQUENCE.

    Customer: a public open date of the same workshop with enough seats, before the change
    deadline, moves left (`counted=False` for the free choice after a cancelled date).
    Artisan (`by_artisan`): any open slot of their workshops; a full one gets its capacity
    raised to fit (the history says so). Idempotent: already on that slot, nothing happens.
    """
    for _attempt in range(3):
        with transaction.atomic():
            current = Order.objects.filter(pk=order_id).values_list("slot_id", flat=True).first()
            if current is None:
                raise Order.DoesNotExist(f"order {order_id}")
            slots = slots_lock([current, slot_id])
            order = for_update(
                Order.objects.filter(pk=order_id).select_related("slot__workshop__artisan")
            ).get()
            if order.slot_id != current:
                continue  # moved meanwhile: lock the slots it is on now
            if order.slot_id == slot_id and order.status == OrderStatus.CONFIRMED:
                return order  # a double submit
            target = slots.get(slot_id)
            if target is None or target.pk == order.slot_id:
                raise BookingError(_("This date is not available."), field="slot")
            target.workshop = Workshop.objects.select_related("artisan").get(pk=target.workshop_id)
            _rebook_locked(
                order, target, actor=actor, by_artisan=by_artisan, counted=counted, message=message
            )
            return order
    raise BookingError(_("This booking changed meanwhile; please try again."))


def _check_customer_move(order: Order, target: Slot, *, counted: bool, now) -> None:
    options = order_change_options(order, now=now)
    if not options.can_move or (counted and not options.slot_cancelled and not options.moves_left):
        raise BookingError(
            options.reason_if_not or _("This booking can no longer be moved."), field="slot"
        )
    if (
        target.workshop_id != order.slot.workshop_id
        or target.kind != SlotKind.PUBLIC
        or target.status != SlotStatus.OPEN
        or not target.workshop.is_published
        or target.starts_at <= now
    ):
        raise BookingError(_("This date is not available."), field="slot")
    if target.seats_left < order.seats:
        raise BookingError(
            _("Not enough seats are left on this date: please choose another one."), field="slot"
        )


def _check_artisan_move(order: Order, target: Slot, *, now) -> str:
    """The artisan's move: returns a note for the history when the capacity had to be raised."""
    if order.status not in PAID_STATUSES:
        raise BookingError(_("Only a confirmed booking can be moved."))
    if (
        target.workshop.artisan_id != order.slot.workshop.artisan_id
        or target.status != SlotStatus.OPEN
        or target.starts_at <= now
    ):
        raise BookingError(_("This slot is not available."), field="slot")
    if target.seats_left >= order.seats:
        return ""
    before, target.capacity = target.capacity, target.seats_taken + order.seats
    target.save(update_fields=["capacity"])
    return _("capacity of the new slot raised from %(before)d to %(after)d to fit") % {
        "before": before,
        "after": target.capacity,
    }


def _when(slot: Slot) -> str:
    """The slot's start in its workshop's time zone (format_when converts to the active one)."""
    with timezone.override(slot.workshop.tzinfo):
        return format_when(slot.starts_at, "datetime")


def _rebook_locked(
    order: Order, target: Slot, *, actor: Actor, by_artisan: bool, counted: bool, message: str
) -> None:
    now = timezone.now()
    previous = order.slot
    choosing = order.status == OrderStatus.AWAITING_CHOICE
    note = ""
    if by_artisan:
        note = _check_artisan_move(order, target, now=now)
    else:
        counted = counted and not choosing  # the choice after a cancelled date is free
        _check_customer_move(order, target, counted=counted, now=now)
    fields = seats_release([order])
    seats_take(target, order.seats)
    order.slot, order.holds_seats = target, True
    order.ics_sequence += 1
    order.moves_count += 1 if counted else 0
    order.choose_by = None
    fields += ["slot", "holds_seats", "ics_sequence", "moves_count", "choose_by"]
    history = "; ".join(
        filter(
            None,
            [
                _("moved from %(from)s to %(to)s") % {"from": _when(previous), "to": _when(target)},
                note,
                message,
            ],
        )
    )
    if choosing:
        order_move(order, OrderStatus.CONFIRMED, actor=actor, message=history, fields=fields)
    else:
        order_note(order, actor=actor, message=history, fields=fields)
    order.tickets.all().delete()  # the old QR codes become unknown at the door
    checkout.order_issue_tickets(order)
    context = {"previous_slot": previous, "by_artisan": by_artisan, "message": message}
    checkout.order_send_tickets(
        order,
        template="bookings/emails/order_moved",
        key=f"moved:{order.ics_sequence}",
        context=context,
    )
    if not by_artisan:
        _tell_artisan(order, change="moved", key=f"moved:{order.ics_sequence}", context=context)


def _tell_artisan(order: Order, *, change: str, key: str, context: dict) -> None:
    artisan = order.slot.workshop.artisan
    participants = reverse("backoffice:slot_participants", args=[order.slot_id])
    context = {
        **checkout.order_context(order),
        **context,
        "change": change,
        "artisan": artisan,
        "participants_url": settings.SITE_URL + participants,
    }
    for channel, recipient in ((Channel.EMAIL, artisan.email), (Channel.SMS, artisan.phone)):
        notification_enqueue(
            channel=channel,
            recipient=recipient,
            template="bookings/emails/order_changed_artisan",
            context=context,
            language=artisan.language,
            key=f"order:{order.pk}:{key}:artisan:{channel}",
        )


# --- cancel, withdraw, resend --------------------------------------------------------------------


def order_cancel(
    *, order_id: int, actor: Actor, message: str = "", refund_cents: int | None = None
) -> Order:
    """Cancel a confirmed booking. Customer: before the change deadline (or while choosing after
    a cancelled date), everything back. Artisan or ops: any time, everything back (None) or
    `refund_cents`. The refund runs after commit, once (ledger key), retried if the provider
    is unreachable. Idempotent."""
    by_customer = actor.kind == ActorKind.CUSTOMER
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if by_customer:
            options = order_change_options(order)
            if not options.can_cancel:
                raise BookingError(
                    options.reason_if_not or _("This booking can no longer be cancelled.")
                )
            refund_cents = None
        elif order.status not in PAID_STATUSES:
            raise BookingError(_("Only a confirmed booking can be cancelled here."))
        elif refund_cents is not None and not 0 <= refund_cents <= order.total_cents:
            raise BookingError(
                _("The refund must be between 0 and the amount paid."), field="refund_cents"
            )
        reason = message or (_("Cancelled by the customer.") if by_customer else "")
        order_cancel_locked(order, reason=reason, actor=actor, refund_cents=refund_cents)
        if by_customer:
            _tell_artisan(order, change="cancelled", key="cancelled", context={})
    return order


def order_cancel_to_gift_card(*, order_id: int, actor: Actor) -> GiftCard:
    """The customer cancels (before the change deadline, or choosing after a cancelled date) and
    takes a gift card worth the whole booking, valid one year, instead of a refund: nothing goes
    back to the bank card. Idempotent (the same gift card the second time)."""
    with transaction.atomic():
        order = order_lock(order_id)
        made = gift_card_made_from(order)
        if made is not None:
            return made
        options = order_change_options(order)
        if not options.can_cancel:
            raise BookingError(
                options.reason_if_not or _("This booking can no longer be cancelled.")
            )
        card = giftcard_issue_for_order(order_id=order.pk, actor=actor)
        _tell_artisan(order, change="gift_card", key="gift_card", context={})
    return card


def order_withdraw(*, order_id: int, actor: Actor) -> Order:
    """The customer withdraws a confirm-first order still waiting for the artisan: seats back,
    the card authorisation released at once (after commit). Idempotent."""
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if not order_change_options(order).can_withdraw:
            raise BookingError(
                _("Only a booking request still waiting for the artisan can be withdrawn.")
            )
        order_cancel_locked(order, reason=_("Withdrawn by the customer."), actor=actor)
        _tell_artisan(order, change="withdrawn", key="withdrawn", context={})
    return order


def order_resend_confirmation(*, order_id: int, actor: Actor) -> None:
    """Email the confirmation with the tickets again (a new key each time), noted in the history."""
    with transaction.atomic():
        order = order_lock(order_id, slot=False)
        if order.status != OrderStatus.CONFIRMED:
            raise BookingError(_("Only a confirmed booking has tickets to send."))
        checkout.order_send_tickets(
            order,
            template="bookings/emails/order_confirmed",
            key=f"confirmed:resend:{uuid.uuid4().hex}",
            sms=False,
        )
        order_note(order, actor=actor, message=_("confirmation and tickets sent again"))


# --- a cancelled date: the customers choose ------------------------------------------------------


def orders_await_choice(*, slot: Slot, actor: Actor = SYSTEM, message: str = "", now=None) -> list:
    """The confirmed orders of a slot just cancelled (locked by the caller) wait for their
    customer's choice until `ATELIER_CHOICE_DAYS` from now; each customer is told."""
    now = now or timezone.now()
    orders = list(
        for_update(Order.objects.filter(slot_id=slot.pk, status=OrderStatus.CONFIRMED)).order_by(
            "pk"
        )
    )
    choose_by = now + timedelta(days=settings.ATELIER_CHOICE_DAYS)
    orders_move(
        orders, OrderStatus.AWAITING_CHOICE, actor=actor, message=message, choose_by=choose_by
    )
    for order in orders:
        order.slot = slot
        context = {**checkout.order_context(order), "reason": message, "choose_by": choose_by}
        for channel, recipient in (
            (Channel.EMAIL, order.customer_email),
            (Channel.SMS, order.customer_phone),
        ):
            notification_enqueue(
                channel=channel,
                recipient=recipient,
                template="bookings/emails/order_choose",
                context=context,
                language=order.language,
                key=f"order:{order.pk}:choose:{slot.pk}:{channel}",
            )
    return [order.pk for order in orders]


def orders_refund_unchosen(*, limit: int = 200, now=None) -> int:
    """The beat sweep: orders whose customer did not choose in time are cancelled and refunded,
    one transaction each (re-checked under the lock). Returns how many."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.AWAITING_CHOICE, choose_by__lte=now)
        .order_by("choose_by", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            order = order_lock(pk)
            if order.status != OrderStatus.AWAITING_CHOICE or (
                order.choose_by and order.choose_by > now
            ):
                continue
            order_cancel_locked(
                order,
                reason=_("No other date was chosen in time: the booking is refunded."),
                actor=SYSTEM,
            )
            done += 1
    return done
