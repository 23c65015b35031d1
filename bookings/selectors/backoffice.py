"""Reads for the artisan's back-office: the calendar, the activity list, participants."""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from ..models import Artisan, Order, OrderLine, Slot, Workshop
from ..states import OrderStatus, SlotStatus


@dataclass
class CalendarDay:
    day: date
    in_period: bool
    is_today: bool
    is_past: bool = False
    slots: list = field(default_factory=list)


def parse_month(value: str | None, today: date) -> date:
    """ "2026-07" → 2026-07-01; anything else → the first of the current month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 1900 < year < 3000 else today.replace(day=1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def parse_day(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return today
    return day if 1900 < day.year < 3000 else today


def month_range(first: date) -> tuple[date, date]:
    """The Monday-to-Sunday weeks that cover the month of `first` (end exclusive)."""
    start = first - timedelta(days=first.weekday())
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    end = last + timedelta(days=7 - last.weekday())
    return start, end


def week_range(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


# What the calendar shows of a slot (a month holds hundreds: the rest is not loaded). Add a
# field here before the calendar shows it, or each slot costs a query (the tests count them).
CALENDAR_SLOT_FIELDS = (
    "starts_at",
    "ends_at",
    "capacity",
    "seats_taken",
    "status",
    "kind",
    "workshop__title",
    "workshop__timezone",
    "workshop__artisan_id",
)


def calendar_slots(*, artisan: Artisan, start: date, end: date) -> list[Slot]:
    """The artisan's slots whose local start day is in [start, end): one query.

    Workshops may sit in different time zones, so the query takes a day of margin on each
    side and the exact cut is made on each slot's local date.

    A cancelled slot stays (struck through) only when customers had booked it: the artisan
    cancelled their session and the calendar keeps the trace. Cancelled slots nobody booked
    (private offers not chosen or lapsed, empty public slots removed to make room for a
    private session) leave the calendar; their history is on the slot and the request.
    """
    had_customers = Order.objects.filter(
        slot=OuterRef("pk"), status__in=[OrderStatus.CANCELLED, OrderStatus.AWAITING_CHOICE]
    )
    since = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    slots = (
        Slot.objects.filter(workshop__artisan=artisan, starts_at__gte=since, starts_at__lt=until)
        .filter(~Q(status=SlotStatus.CANCELLED) | Exists(had_customers))
        .select_related("workshop")
        .only(*CALENDAR_SLOT_FIELDS)
        .order_by("starts_at", "pk")
    )
    result = []
    for slot in slots:
        slot.local_starts_at = slot.starts_at.astimezone(slot.workshop.tzinfo)
        slot.local_ends_at = slot.ends_at.astimezone(slot.workshop.tzinfo)
        if start <= slot.local_starts_at.date() < end:
            result.append(slot)
    return result


def calendar_days(
    *, artisan: Artisan, start: date, end: date, today: date, period: tuple[date, date]
) -> list[CalendarDay]:
    """Every day in [start, end) with its slots; days outside `period` are marked."""
    by_day: dict[date, list[Slot]] = {}
    for slot in calendar_slots(artisan=artisan, start=start, end=end):
        by_day.setdefault(slot.local_starts_at.date(), []).append(slot)
    days = []
    day = start
    while day < end:
        days.append(
            CalendarDay(
                day=day,
                in_period=period[0] <= day < period[1],
                is_today=day == today,
                is_past=day < today,
                slots=by_day.get(day, []),
            )
        )
        day += timedelta(days=1)
    return days


def artisan_workshops(*, artisan: Artisan) -> QuerySet[Workshop]:
    return (
        Workshop.objects.filter(artisan=artisan)
        .annotate(ticket_type_count=Count("ticket_types", distinct=True))
        .order_by("title", "pk")
    )


def slot_participants(*, slot: Slot) -> QuerySet[Order]:
    """The confirmed orders of a slot with their lines (two queries)."""
    return (
        Order.objects.filter(slot=slot, status=OrderStatus.CONFIRMED)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .order_by("customer_name", "pk")
    )


def slot_awaiting_confirmation(*, slot: Slot) -> QuerySet[Order]:
    """The slot's confirm-first orders the artisan has not decided yet, oldest first (with their lines).

    Those within capacity hold their seats; the others (`on_waiting_list`) hold none.
    """
    return (
        Order.objects.filter(slot=slot, status=OrderStatus.AWAITING_CONFIRMATION)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
