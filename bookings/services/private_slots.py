"""Private slots held for one customer (a privatisation request's offers), and the room made for them.

Privatisation decides; these write the slots. The caller holds the locks (calendar, slots).
"""

from datetime import datetime

from django.utils import timezone

from ..models import Slot, SlotStatusChange, Workshop
from ..states import SYSTEM, Actor, SlotKind, SlotStatus
from .transitions import slot_move, slots_move


def slot_hold_private(
    *,
    workshop: Workshop,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    actor: Actor = SYSTEM,
) -> Slot:
    """A new private slot on the artisan's calendar, held for one customer."""
    slot = Slot.objects.create(
        workshop=workshop,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        kind=SlotKind.PRIVATE,
        status=SlotStatus.HELD,
    )
    SlotStatusChange.objects.create(
        slot=slot,
        from_status="",
        to_status=SlotStatus.HELD,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
    )
    return slot


def slot_open_private(*, slot_id: int, actor: Actor = SYSTEM, message: str = "") -> Slot:
    """The customer paid: their held slot becomes their session (locked by the caller)."""
    slot = Slot.objects.get(pk=slot_id)
    if slot.status == SlotStatus.OPEN:
        return slot
    return slot_move(slot, SlotStatus.OPEN, actor=actor, message=message)


def slots_release_held(*, slot_ids, message: str, actor: Actor = SYSTEM, now=None) -> list[int]:
    """Held slots nobody will take (another was chosen, the request ended) leave the calendar."""
    now = now or timezone.now()
    return slots_move(
        slot_ids,
        SlotStatus.CANCELLED,
        actor=actor,
        message=message,
        where={"status": SlotStatus.HELD},
        cancelled_at=now,
        cancel_message=message,
    )


def slots_remove_empty(*, slot_ids, message: str, actor: Actor = SYSTEM, now=None) -> list[int]:
    """Open slots with nobody booked leave the calendar (to make room for a private session)."""
    now = now or timezone.now()
    return slots_move(
        slot_ids,
        SlotStatus.CANCELLED,
        actor=actor,
        message=message,
        where={"status": SlotStatus.OPEN, "seats_taken": 0},
        cancelled_at=now,
        cancel_message=message,
    )
