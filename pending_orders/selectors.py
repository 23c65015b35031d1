"""Reads for the Pending orders screen, the nav badge and the CSV export."""

import zoneinfo
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from bookings.models import Order, OrderLine, OrderStatusChange
from bookings.states import OrderStatus


def _listed(now) -> Q:
    """Awaiting a decision (before its deadline), accepted and still capturing, capture failed
    (before the deadline), or sent a payment link after the card hold lapsed."""
    return (
        Q(
            status__in=(OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURE_FAILED),
            decide_by__gt=now,
        )
        | Q(status=OrderStatus.CAPTURING)
        | Q(status=OrderStatus.PENDING_PAYMENT, decide_by__isnull=False, hold_expires_at__gt=now)
    )


def pending_orders_for(
    *, artisan, now=None, workshop_id=None, date_from=None, date_to=None, tz=None
):
    """The artisan's orders that need (or are getting) a decision, oldest first.

    Dates filter on the session's day in `tz` (the workshop's time zone).
    """
    now = now or timezone.now()
    qs = Order.objects.filter(
        _listed(now), slot__workshop__artisan=artisan, requires_confirmation=True
    )
    if workshop_id:
        qs = qs.filter(slot__workshop_id=workshop_id)
    tz = tz or zoneinfo.ZoneInfo(settings.DEFAULT_WORKSHOP_TIMEZONE)
    if date_from:
        qs = qs.filter(slot__starts_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(
            slot__starts_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    return qs.select_related("slot__workshop").order_by("created_at", "pk")


def actionable(queryset):
    """The listed orders an action can apply to (what "tick all that match" takes)."""
    return queryset.filter(
        status__in=(OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURE_FAILED)
    )


def with_history(queryset):
    """The orders' status changes, oldest first (the row's "History")."""
    return queryset.prefetch_related(
        Prefetch(
            "status_changes",
            queryset=OrderStatusChange.objects.order_by("created_at", "id"),
            to_attr="history",
        )
    )


def with_lines(queryset):
    return queryset.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))


def pending_orders_waiting(*, artisan_id, now):
    """Orders that wait for the artisan (to decide, or to retry): the nav badge counts them."""
    return Order.objects.filter(
        Q(status=OrderStatus.AWAITING_CONFIRMATION) | Q(status=OrderStatus.CAPTURE_FAILED),
        slot__workshop__artisan_id=artisan_id,
        requires_confirmation=True,
        decide_by__gt=now,
    )


def pending_orders_count(*, artisan, now=None) -> int:
    return pending_orders_waiting(artisan_id=artisan.pk, now=now or timezone.now()).count()


def batch_orders(*, batch):
    return (
        Order.objects.filter(pk__in=batch.order_ids, slot__workshop__artisan_id=batch.artisan_id)
        .select_related("slot__workshop")
        .order_by("pk")
    )


def without_a_seat(queryset) -> set[int]:
    """The orders accepting would leave pending for want of a free seat (waiting-list orders hold
    none): the Accept screen says so before the action. Follows the accept service's order (by
    id), seats given to the earlier ones first."""
    rows = queryset.order_by("pk").values_list(
        "pk", "slot_id", "seats", "holds_seats", "slot__capacity", "slot__seats_taken"
    )
    added, short = defaultdict(int), set()
    for pk, slot_id, seats, holds, capacity, taken in rows:
        if holds:
            continue
        if seats > capacity - taken - added[slot_id]:
            short.add(pk)
        else:
            added[slot_id] += seats
    return short
