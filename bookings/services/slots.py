"""Slots on the artisan's calendar: create (one-off or weekly), edit, delete, cancel.

Datetimes arrive aware (the form combines a date and a time in the workshop's time zone)
and are stored in UTC. A weekly series keeps the same wall-clock time across DST changes.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..hooks import slot_hooks
from ..localtime import add_duration, elapsed
from ..models import Artisan, Order, Slot, SlotStatusChange, Workshop
from ..states import SLOT_TRANSITIONS, Actor, ActorKind, SlotStatus, can_move
from .changes import orders_await_choice
from .errors import BookingError
from .refunds import orders_refund_for_cancelled_slot
from .transitions import slot_move

# A weekly series covers at most one year.
MAX_SERIES_DAYS = 366


# Kept as the name the calendar's forms and views know; it is bookings' one error type.


def _workshop_of(artisan: Artisan, workshop_id: int) -> Workshop:
    workshop = Workshop.objects.filter(artisan=artisan, pk=workshop_id).first()
    if workshop is None:
        raise BookingError(_("This workshop is not one of yours."), field="workshop")
    return workshop


def _locked_slot(artisan: Artisan, slot_id: int) -> Slot:
    slot = (
        Slot.objects.select_for_update()
        .filter(pk=slot_id, workshop__artisan=artisan)
        .select_related("workshop")
        .first()
    )
    if slot is None:
        raise Slot.DoesNotExist
    return slot


def _refuse_if_claimed(slot: Slot, action: str) -> None:
    """A slot an upper app holds (a private slot offered on a request) is changed there, not here."""
    claim = slot_hooks.claim(slot, action)
    if claim is not None:
        raise BookingError(claim.message, link=claim.link)


def weekly_starts(starts_at: datetime, until: date, tz) -> list[datetime]:
    """Every week from `starts_at` to `until` (inclusive), same local wall-clock time."""
    local = starts_at.astimezone(tz)
    wall_time, day = local.time().replace(tzinfo=None), local.date()
    starts = []
    while day <= until:
        starts.append(datetime.combine(day, wall_time, tzinfo=tz))
        day += timedelta(days=7)
    return starts


def slot_create_series(
    *,
    artisan: Artisan,
    workshop_id: int,
    starts_at: datetime,
    capacity: int,
    until: date | None = None,
    ends_at: datetime | None = None,
) -> list[Slot]:
    """Create one slot, or one a week until `until` (a date in the workshop's time zone).

    The end defaults to the start plus the workshop's duration; a given end sets the
    duration of every slot of the series.
    """
    workshop = _workshop_of(artisan, workshop_id)
    tz = workshop.tzinfo
    now = timezone.now()
    if timezone.is_naive(starts_at):
        raise BookingError(_("The start needs a time zone."), field="start_time")
    if starts_at <= now:
        raise BookingError(_("The start is in the past."), field="date")
    duration = (
        elapsed(starts_at, ends_at) if ends_at else timedelta(minutes=workshop.duration_minutes)
    )
    if duration <= timedelta(0):
        raise BookingError(_("The end must be after the start."), field="end_time")
    if capacity < 1:
        raise BookingError(_("The capacity must be at least 1."), field="capacity")
    first_day = starts_at.astimezone(tz).date()
    if until is None:
        starts = [starts_at]
    else:
        if until < first_day:
            raise BookingError(_("The last date is before the first one."), field="until")
        if until > first_day + timedelta(days=MAX_SERIES_DAYS):
            raise BookingError(_("A weekly series covers at most one year."), field="until")
        starts = weekly_starts(starts_at, until, tz)
    series = uuid.uuid4() if len(starts) > 1 else None
    slots = []
    for start in starts:
        # Each slot lasts `duration` in absolute time (a 120-minute workshop is 2 hours on the
        # nights the clocks change too); the start keeps its wall-clock time every week.
        slots.append(
            Slot(
                workshop=workshop,
                starts_at=start.astimezone(UTC),
                ends_at=add_duration(start, duration).astimezone(UTC),
                capacity=capacity,
                series=series,
            )
        )
    with transaction.atomic():
        created = Slot.objects.bulk_create(slots)
        SlotStatusChange.objects.bulk_create(
            SlotStatusChange(
                slot=slot,
                from_status="",
                to_status=slot.status,
                actor_kind=ActorKind.ARTISAN,
                actor_user_id=artisan.user_id,
            )
            for slot in created
        )
        return created


def slot_update(
    *, artisan: Artisan, slot_id: int, starts_at: datetime, ends_at: datetime, capacity: int
) -> Slot:
    """Move or resize a slot. The capacity never goes below the seats already taken."""
    with transaction.atomic():
        slot = _locked_slot(artisan, slot_id)
        if slot.status == SlotStatus.CANCELLED:
            raise BookingError(_("This slot is cancelled; it can no longer be changed."))
        _refuse_if_claimed(slot, slot_hooks.UPDATE)
        if ends_at <= starts_at:
            raise BookingError(_("The end must be after the start."), field="end_time")
        if starts_at != slot.starts_at and starts_at <= timezone.now():
            raise BookingError(_("The start is in the past."), field="date")
        if capacity < 1:
            raise BookingError(_("The capacity must be at least 1."), field="capacity")
        if capacity < slot.seats_taken:
            raise BookingError(
                _("%(taken)d seats are already booked: the capacity cannot be lower.")
                % {"taken": slot.seats_taken},
                field="capacity",
            )
        slot.starts_at, slot.ends_at, slot.capacity = starts_at, ends_at, capacity
        slot.save(update_fields=["starts_at", "ends_at", "capacity"])
        return slot


def slot_delete(*, artisan: Artisan, slot_id: int) -> None:
    """Delete a slot no order ever touched; otherwise it must be cancelled instead."""
    with transaction.atomic():
        slot = _locked_slot(artisan, slot_id)
        _refuse_if_claimed(slot, slot_hooks.DELETE)
        if Order.objects.filter(slot=slot).exists():
            raise BookingError(
                _("Customers have booked this slot: cancel it instead, with a message to them.")
            )
        slot.delete()


def slot_cancel(*, artisan: Artisan, slot_id: int, message: str) -> Slot:
    """The artisan cancels one of their slots (another artisan's: Slot.DoesNotExist)."""
    if not Slot.objects.filter(pk=slot_id, workshop__artisan=artisan).exists():
        raise Slot.DoesNotExist
    return slot_cancel_as(
        slot_id=slot_id, actor=Actor(ActorKind.ARTISAN, artisan.user_id), message=message
    )


def slot_cancel_as(*, slot_id: int, actor: Actor, message: str) -> Slot:
    """The one slot cancellation (the artisan's button, the minimum-participants decision by the
    artisan or the system): each confirmed order waits for its customer's choice (another date
    or a refund, `changes.orders_await_choice`); the other live orders (unpaid, waiting for
    the artisan) are cancelled and refunded or released. Every customer gets `message`."""
    with transaction.atomic():
        slot = (
            Slot.objects.select_for_update().filter(pk=slot_id).select_related("workshop").first()
        )
        if slot is None:
            raise Slot.DoesNotExist
        if slot.status == SlotStatus.CANCELLED:
            return slot
        if not can_move(SLOT_TRANSITIONS, slot.status, SlotStatus.CANCELLED):
            raise BookingError(_("This slot cannot be cancelled."))
        if slot.ends_at <= timezone.now():
            raise BookingError(_("This slot is over; it can no longer be cancelled."))
        _refuse_if_claimed(slot, slot_hooks.CANCEL)
        slot.cancel_message = message
        slot.cancelled_at = timezone.now()
        slot_move(
            slot,
            SlotStatus.CANCELLED,
            actor=actor,
            message=message,
            fields=["cancel_message", "cancelled_at"],
        )
        orders_await_choice(slot=slot, actor=actor, message=message)
        orders_refund_for_cancelled_slot(slot_id=slot.pk, message=message, actor=actor)
        return slot
