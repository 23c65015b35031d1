"""Reads for the customer storefront: published workshops and their bookable public slots.

Every query here is bounded: the pages issue the same number of SQL queries whatever the
number of slots (the tests assert it).
"""

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from ..models import Order, Slot, TicketType, Workshop
from ..states import OrderSource, OrderStatus, SlotKind, SlotStatus

# How many dates the home page shows per workshop card.
CARD_NEXT_DATES = 3
# How many slots a workshop page shows at once (a "more dates" link pages on).
WORKSHOP_PAGE_SLOTS = 60


def bookable_slots(*, now: datetime | None = None) -> QuerySet[Slot]:
    """Public, open slots that have not started: the only slots a customer may see."""
    return Slot.objects.filter(
        kind=SlotKind.PUBLIC, status=SlotStatus.OPEN, starts_at__gt=now or timezone.now()
    ).order_by("starts_at", "pk")


def published_workshops(*, now: datetime | None = None) -> QuerySet[Workshop]:
    """Published workshops for the home page, each with `next_slots` (its next few dates)."""
    next_slots = bookable_slots(now=now)[:CARD_NEXT_DATES]
    return (
        Workshop.objects.filter(is_published=True)
        .select_related("artisan")
        .prefetch_related(Prefetch("slots", queryset=next_slots, to_attr="next_slots"))
        .order_by("title", "pk")
    )


def published_workshop(*, slug: str) -> Workshop:
    """A published workshop by slug, with its artisan; 404 for anything else.

    `takes_waiting_list`: a ticket on sale must be confirmed by the artisan, so a full slot
    still takes requests (on the waiting list).
    """
    on_request = TicketType.objects.filter(
        workshop=OuterRef("pk"), is_active=True, requires_confirmation=True
    )
    try:
        return (
            Workshop.objects.select_related("artisan")
            .annotate(takes_waiting_list=Exists(on_request))
            .get(slug=slug, is_published=True)
        )
    except Workshop.DoesNotExist:
        raise Http404("No such workshop") from None


def workshop_upcoming_slots(
    *,
    workshop: Workshop,
    after: datetime | None = None,
    now: datetime | None = None,
    limit: int = WORKSHOP_PAGE_SLOTS,
) -> tuple[list[Slot], datetime | None]:
    """The next `limit` bookable slots of a workshop (from `after` when given).

    Returns the slots and the start of the next page (None when there is none).
    """
    slots = bookable_slots(now=now).filter(workshop=workshop)
    if after is not None:
        slots = slots.filter(starts_at__gte=after)
    rows = list(slots[: limit + 1])
    next_after = rows[limit].starts_at if len(rows) > limit else None
    return rows[:limit], next_after


def group_by_local_date(slots, tzinfo) -> list[tuple]:
    """[(local date, [slots…]), …] in order, dates taken in the workshop's time zone."""
    groups: list[tuple] = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at, tzinfo).date()
        if groups and groups[-1][0] == day:
            groups[-1][1].append(slot)
        else:
            groups.append((day, [slot]))
    return groups


def unpaid_bookings_of(*, slot_id: int, customer_email: str) -> QuerySet[Order]:
    """The customer's storefront bookings on the slot still waiting for their first payment
    (whatever the email's case); one the artisan accepted already is not among them."""
    return Order.objects.filter(
        slot_id=slot_id,
        customer_email__iexact=customer_email,
        status=OrderStatus.PENDING_PAYMENT,
        source=OrderSource.STOREFRONT,
        decide_by__isnull=True,
    )


def seats_held_by(*, slot_id: int, customer_email: str) -> int:
    """Seats the customer's unpaid bookings hold on the slot: a new booking of theirs gives them
    back (services.holds.unpaid_orders_replace), so they count as free for that customer."""
    if not customer_email:
        return 0
    held = unpaid_bookings_of(slot_id=slot_id, customer_email=customer_email).filter(
        holds_seats=True
    )
    return held.aggregate(seats=Sum("seats"))["seats"] or 0
