"""The one way an order's or a slot's status changes, and the one way seats are counted.

`order_move` / `slot_move` move one locked row (`order_note` records a change that keeps the
order's status, e.g. a move to another date), `orders_move` / `slots_move` many rows in one
update: each checks the move against the table in `bookings/states.py`, raises `BookingError`
on a move the table does not allow, and writes the history row (bulk moves with one
`bulk_create`). Services call these; nothing else assigns `status`.

Lock order: the slot row first, then the order row (`order_lock`), everywhere.
Seats: an order counts in `slot.seats_taken` while `order.holds_seats` is true; it is set
when seats are taken (conditional update under the slot lock) and cleared when they are
released (`seats_release`), so seats go back exactly once.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from ..models import Order, OrderStatusChange, Slot, SlotStatusChange
from ..states import ORDER_TRANSITIONS, SLOT_TRANSITIONS, SYSTEM, Actor, can_move, sources_of
from .errors import BookingError, SoldOut


class NeedSlotLock(Exception):
    """Raised inside a transaction that locked only the order but must move seats: retry."""


def for_update(queryset, *, skip_locked: bool = False):
    """`select_for_update` of the queryset's own rows (PostgreSQL), skipping locked rows if asked."""
    if connection.vendor == "postgresql":
        return queryset.select_for_update(of=("self",), skip_locked=skip_locked)
    return queryset.select_for_update()


def order_lock(order_id: int, *, slot: bool = True) -> Order:
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
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("slot__workshop__artisan")
        .get(pk=order_id)
    )
    order._slot_locked = slot
    return order


def slots_lock(slot_ids: Iterable[int]) -> dict[int, Slot]:
    """Lock slots in primary-key order; returns them by id."""
    return {
        s.pk: s
        for s in for_update(Slot.objects.filter(pk__in=sorted(set(slot_ids))).order_by("pk"))
    }


# --- seats -------------------------------------------------------------------------------------


def seats_take(slot: Slot, seats: int) -> None:
    """Add `seats` to a slot locked by the caller; never above capacity (raises SoldOut)."""
    left = slot.capacity - slot.seats_taken
    if seats > left:
        raise SoldOut(left)
    updated = Slot.objects.filter(pk=slot.pk, seats_taken__lte=F("capacity") - seats).update(
        seats_taken=F("seats_taken") + seats
    )
    if updated != 1:  # cannot happen under the lock; the database constraint is the last word
        raise SoldOut(0)
    slot.seats_taken += seats


def seats_take_many(seats_by_slot: dict[int, int]) -> None:
    """Add seats to several slots the caller locked and counted (bulk accept). One update a slot."""
    for slot_id, seats in seats_by_slot.items():
        updated = Slot.objects.filter(pk=slot_id, seats_taken__lte=F("capacity") - seats).update(
            seats_taken=F("seats_taken") + seats
        )
        if updated != 1:
            raise SoldOut(0)


def seats_release(orders: Iterable[Order]) -> list[str]:
    """Give back the seats of the orders that hold some, once (the caller holds the slot locks).

    Clears `holds_seats` on the instances; returns the order fields changed (for `save`).
    """
    seats = defaultdict(int)
    for order in orders:
        if order.holds_seats:
            seats[order.slot_id] += order.seats
            order.holds_seats = False
    for slot_id, n in seats.items():
        Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") - n)
    return ["holds_seats"] if seats else []


# --- moves -------------------------------------------------------------------------------------


def _check(table, current, target, model) -> None:
    if can_move(table, current, target):
        return
    labels = {"from": current, "to": target}
    if model is Order:
        raise BookingError(_("This order cannot go from “%(from)s” to “%(to)s”.") % labels)
    raise BookingError(_("This slot cannot go from “%(from)s” to “%(to)s”.") % labels)


def order_move(
    order: Order, to: str, *, actor: Actor = SYSTEM, message: str = "", fields=()
) -> Order:
    """Move a locked order to `to`, save `status` and `fields`, write the history row."""
    _check(ORDER_TRANSITIONS, order.status, to, Order)
    before = order.status
    order.status = to
    order.save(update_fields=list(dict.fromkeys(["status", *fields])))
    OrderStatusChange.objects.create(
        order=order,
        from_status=before,
        to_status=to,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        message=message,
    )
    return order


def order_note(order: Order, *, actor: Actor = SYSTEM, message: str, fields=()) -> Order:
    """A history row for a change that keeps the status (a move to another date, a resent
    confirmation): from = to = the current status. Saves `fields` if given."""
    if fields:
        order.save(update_fields=list(dict.fromkeys(fields)))
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        message=message,
    )
    return order


def orders_move(
    orders: list[Order], to: str, *, actor: Actor = SYSTEM, message: str = "", **values
) -> None:
    """Move many locked orders to `to` in one update (plus `values`), history in one insert."""
    if not orders:
        return
    for order in orders:
        _check(ORDER_TRANSITIONS, order.status, to, Order)
    ids = [o.pk for o in orders]
    updated = Order.objects.filter(pk__in=ids, status__in=sources_of(ORDER_TRANSITIONS, to)).update(
        status=to, **values
    )
    if updated != len(ids):  # cannot happen under the callers' locks
        raise BookingError(_("These orders changed meanwhile; please try again."))
    OrderStatusChange.objects.bulk_create(
        OrderStatusChange(
            order_id=o.pk,
            from_status=o.status,
            to_status=to,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            message=message,
        )
        for o in orders
    )
    for order in orders:
        order.status = to
        for name, value in values.items():
            setattr(order, name, value)


def slot_move(slot: Slot, to: str, *, actor: Actor = SYSTEM, message: str = "", fields=()) -> Slot:
    """Move a locked slot to `to`, save `status` and `fields`, write the history row."""
    _check(SLOT_TRANSITIONS, slot.status, to, Slot)
    before = slot.status
    slot.status = to
    slot.save(update_fields=list(dict.fromkeys(["status", *fields])))
    SlotStatusChange.objects.create(
        slot=slot,
        from_status=before,
        to_status=to,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        message=message,
    )
    return slot


def slots_move(
    slot_ids, to: str, *, actor: Actor = SYSTEM, message: str = "", where=None, **values
) -> list[int]:
    """Move the slots among `slot_ids` that the table lets go to `to` (and match `where`).

    The caller holds their locks. One read, one update, one history insert. Returns the ids moved.
    """
    rows = list(
        Slot.objects.filter(
            pk__in=list(slot_ids), status__in=sources_of(SLOT_TRANSITIONS, to), **(where or {})
        )
        .order_by("pk")
        .values_list("pk", "status")
    )
    if not rows:
        return []
    ids = [pk for pk, _status in rows]
    Slot.objects.filter(pk__in=ids).update(status=to, **values)
    SlotStatusChange.objects.bulk_create(
        SlotStatusChange(
            slot_id=pk,
            from_status=status,
            to_status=to,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            message=message,
        )
        for pk, status in rows
    )
    return ids
