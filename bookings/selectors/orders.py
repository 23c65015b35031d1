"""Reads for the artisan's Orders section: the searchable list (and its CSV) and one order's page.

Every query is scoped to the artisan through `slot__workshop__artisan`.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.functions import Replace

from notifications.phone import normalize_phone

from ..models import (
    Artisan,
    Order,
    OrderLine,
    OrderStatusChange,
    PaymentEvent,
    Slot,
    Ticket,
    Workshop,
)
from ..states import PaymentEventKind, SlotKind, SlotStatus

# A search made only of these characters may be a phone number (matched on its digits).
PHONE_LIKE = re.compile(r"[\d\s+().\-/]+")
# Fewer digits than this would match nearly every number.
MIN_PHONE_DIGITS = 4
PHONE_PUNCTUATION = ("+", " ", "-", ".", "(", ")", "/")


@dataclass(frozen=True)
class OrderFilters:
    search: str = ""
    workshop_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""


def _phone_digits():
    """`customer_phone` with its punctuation taken out (E.164 "+33612345678" → "33612345678")."""
    expression = "customer_phone"
    for char in PHONE_PUNCTUATION:
        expression = Replace(expression, Value(char), Value(""))
    return expression


def _phone_candidates(search: str) -> set[str]:
    """The digit strings a phone search may be found as: as typed, without its national 0, and as
    the E.164 number it spells ("06 12 34 56 78" → "0612345678", "612345678", "33612345678")."""
    if not PHONE_LIKE.fullmatch(search):
        return set()
    digits = re.sub(r"\D", "", search)
    if len(digits) < MIN_PHONE_DIGITS:
        return set()
    candidates = {digits}
    if digits.startswith("0") and len(digits) > MIN_PHONE_DIGITS:
        candidates.add(digits[1:])
    try:
        candidates.add(normalize_phone(search).lstrip("+"))
    except ValueError:
        pass
    return candidates


def _search(queryset: QuerySet[Order], search: str) -> QuerySet[Order]:
    search = search.strip()
    if not search:
        return queryset
    condition = (
        Q(customer_name__icontains=search)
        | Q(customer_email__icontains=search)
        | Q(reference__icontains=search)
    )
    candidates = _phone_candidates(search)
    if candidates:
        queryset = queryset.annotate(phone_digits=_phone_digits())
        for digits in candidates:
            condition |= Q(phone_digits__contains=digits)
    return queryset.filter(condition)


def _slot_dates(timezones: list[str], date_from: date | None, date_to: date | None) -> Q:
    """Sessions whose local day (in their workshop's time zone) is within [date_from, date_to]."""
    condition = Q()
    for name in timezones:
        tz = zoneinfo.ZoneInfo(name)
        in_zone = Q(slot__workshop__timezone=name)
        if date_from:
            in_zone &= Q(slot__starts_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
        if date_to:
            end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
            in_zone &= Q(slot__starts_at__lt=end)
        condition |= in_zone
    return condition


def artisan_orders(*, artisan: Artisan, filters: OrderFilters | None = None) -> QuerySet[Order]:
    """The artisan's orders matching `filters`, the latest booked first (with slot and workshop)."""
    filters = filters or OrderFilters()
    queryset = Order.objects.filter(slot__workshop__artisan=artisan)
    if filters.workshop_id:
        queryset = queryset.filter(slot__workshop_id=filters.workshop_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from or filters.date_to:
        workshops = Workshop.objects.filter(artisan=artisan)
        if filters.workshop_id:
            workshops = workshops.filter(pk=filters.workshop_id)
        timezones = sorted(set(workshops.values_list("timezone", flat=True)))
        if not timezones:
            return queryset.none()
        queryset = queryset.filter(_slot_dates(timezones, filters.date_from, filters.date_to))
    queryset = _search(queryset, filters.search)
    return queryset.select_related("slot__workshop").order_by("-created_at", "-pk")


def artisan_order(*, artisan: Artisan, reference: str) -> Order | None:
    """One order of the artisan by its number, with everything its page shows, or None."""
    tickets = Ticket.objects.order_by("pk")
    return (
        Order.objects.filter(slot__workshop__artisan=artisan, reference=reference)
        .select_related("slot__workshop")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by("pk").prefetch_related(
                    Prefetch("tickets", queryset=tickets)
                ),
            ),
            Prefetch(
                "tickets",
                queryset=tickets.filter(line__isnull=True),
                to_attr="unlined_tickets",
            ),
            Prefetch(
                "payment_events",
                queryset=PaymentEvent.objects.order_by("created_at", "pk"),
                to_attr="payments",
            ),
            Prefetch(
                "status_changes",
                queryset=OrderStatusChange.objects.select_related("actor_user").order_by(
                    "created_at", "pk"
                ),
                to_attr="history",
            ),
        )
        .first()
    )


def refund_left_cents(payments) -> int:
    """What is left to refund of an order's ledger rows: captured minus refunded (never below 0)."""
    captured = sum(p.amount_cents for p in payments if p.kind == PaymentEventKind.CAPTURED)
    refunded = sum(p.amount_cents for p in payments if p.kind == PaymentEventKind.REFUNDED)
    return max(captured - refunded, 0)


# How far ahead the "move to" list reaches (a select of every slot of years to come is unusable).
REBOOK_HORIZON = timedelta(days=400)


def rebook_slots(*, artisan: Artisan, order: Order, now: datetime) -> QuerySet[Slot]:
    """The sessions an artisan may move `order` to: their open public slots to come, full ones
    included (the move raises the capacity; the confirmation screen warns), but not its own."""
    return (
        Slot.objects.filter(
            workshop__artisan=artisan,
            kind=SlotKind.PUBLIC,
            status=SlotStatus.OPEN,
            starts_at__gt=now,
            starts_at__lt=now + REBOOK_HORIZON,
        )
        .exclude(pk=order.slot_id)
        .select_related("workshop")
        .order_by("starts_at", "pk")
    )
