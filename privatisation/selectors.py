"""Reads the pages need: overlaps against the artisan's calendar, lists, the badge count."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings.models import Slot
from bookings.states import SlotKind, SlotStatus

from .models import PrivatisationRequest
from .states import RequestStatus

FREE = "free"
REMOVABLE = "removable"  # overlaps empty public slots, which will be removed
BUSY = "busy"  # overlaps a slot with participants or another private session: not selectable


@dataclass
class Availability:
    starts_at: datetime
    ends_at: datetime
    state: str = FREE
    removable: list = field(default_factory=list)  # empty slots that will be removed
    blocking: list = field(default_factory=list)  # (slot, reason)

    @property
    def selectable(self) -> bool:
        return self.state != BUSY

    @property
    def reasons(self) -> list[str]:
        return [reason for _slot, reason in self.blocking]


def calendar_slots_overlapping(artisan_id: int, intervals, *, exclude_slot_ids=()):
    """Live (open or held) slots of any of the artisan's workshops overlapping any interval."""
    if not intervals:
        return Slot.objects.none()
    overlap = reduce(or_, (Q(starts_at__lt=end, ends_at__gt=start) for start, end in intervals))
    return (
        Slot.objects.filter(
            overlap, workshop__artisan_id=artisan_id, status__in=[SlotStatus.OPEN, SlotStatus.HELD]
        )
        .exclude(pk__in=list(exclude_slot_ids))
        .select_related("workshop")
        .order_by("pk")
    )


def blocking_reason(slot) -> str | None:
    """Why a slot cannot make room for a private session (None: empty, it can be removed)."""
    if slot.seats_taken:
        return _("%(count)s participant(s) already booked on “%(title)s”") % {
            "count": slot.seats_taken,
            "title": slot.workshop.title,
        }
    if slot.kind == SlotKind.PRIVATE or slot.status == SlotStatus.HELD:
        return _("held for another privatisation request (“%(title)s”)") % {
            "title": slot.workshop.title
        }
    return None


def classify(intervals, slots) -> list[Availability]:
    """Mark each (start, end) against the given calendar slots."""
    result = []
    for start, end in intervals:
        item = Availability(starts_at=start, ends_at=end)
        for slot in slots:
            if slot.starts_at < end and slot.ends_at > start:
                reason = blocking_reason(slot)
                if reason:
                    item.blocking.append((slot, reason))
                else:
                    item.removable.append(slot)
        item.state = BUSY if item.blocking else (REMOVABLE if item.removable else FREE)
        result.append(item)
    return result


def availability(artisan_id: int, intervals, *, exclude_slot_ids=()) -> list[Availability]:
    intervals = list(intervals)
    slots = list(
        calendar_slots_overlapping(artisan_id, intervals, exclude_slot_ids=exclude_slot_ids)
    )
    return classify(intervals, slots)


def proposed_availability(request) -> list[tuple]:
    """[(proposed_slot, Availability)] for Manage the request (one query for the calendar)."""
    proposed = list(request.proposed_slots.all())
    marks = availability(request.workshop.artisan_id, [(p.starts_at, p.ends_at) for p in proposed])
    return list(zip(proposed, marks, strict=True))


# --- Lists -------------------------------------------------------------------------------------

FILTERS = {
    "to_answer": lambda now: Q(status=RequestStatus.PENDING, respond_by__gt=now),
    "waiting": lambda now: Q(status=RequestStatus.ANSWERED, pay_by__gt=now),
    "confirmed": lambda now: Q(status=RequestStatus.CONFIRMED),
    "expired": lambda now: (
        Q(status=RequestStatus.EXPIRED)
        | Q(status=RequestStatus.PENDING, respond_by__lte=now)
        | Q(status=RequestStatus.ANSWERED, pay_by__lte=now)
    ),
    "refused": lambda now: Q(status__in=[RequestStatus.REFUSED, RequestStatus.WITHDRAWN]),
}


def requests_for_artisan(artisan, *, status_filter: str | None = None, now=None):
    now = now or timezone.now()
    qs = PrivatisationRequest.objects.filter(workshop__artisan=artisan).select_related("workshop")
    if status_filter in FILTERS:
        qs = qs.filter(FILTERS[status_filter](now))
    return qs.order_by("-created_at")


def to_answer(*, artisan_id, now):
    """The artisan's requests still waiting for an answer (the nav badge counts them)."""
    return PrivatisationRequest.objects.filter(
        workshop__artisan_id=artisan_id, status=RequestStatus.PENDING, respond_by__gt=now
    )


def time_left(deadline, now=None) -> timedelta | None:
    if deadline is None:
        return None
    return max(deadline - (now or timezone.now()), timedelta(0))


def time_left_label(delta) -> str:
    """'2 days 5 h', '5 h 20 min', '12 min' — for the list and Manage the request."""

    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return ngettext("%(d)s day %(h)s h", "%(d)s days %(h)s h", days) % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return _("%(m)s min") % {"m": mins}


def request_history(request) -> list:
    """The request's status changes, oldest first (for the Manage page)."""
    return list(request.status_changes.order_by("created_at", "id"))
