"""Reads of the door: a slot's tickets and how many came."""

from django.db.models import Count, Max, Q, QuerySet

from ..models import Order, Slot, Ticket
from ..states import OrderStatus


def slot_check_in_count(*, slot: Slot) -> tuple[int, int]:
    """(checked in, expected): the tickets of the slot's confirmed orders (one query)."""
    counts = Ticket.objects.filter(order__slot=slot, order__status=OrderStatus.CONFIRMED).aggregate(
        checked=Count("pk", filter=Q(checked_in_at__isnull=False)), total=Count("pk")
    )
    return counts["checked"], counts["total"]


def slot_checked_in_tickets(*, slot: Slot, limit: int = 50) -> QuerySet[Ticket]:
    """The slot's checked-in tickets, latest first, with their order (for "not arrived after all")."""
    return (
        Ticket.objects.filter(
            order__slot=slot, order__status=OrderStatus.CONFIRMED, checked_in_at__isnull=False
        )
        .select_related("order")
        .order_by("-checked_in_at", "-pk")[:limit]
    )


def with_check_in(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders annotated with `tickets_checked_in`, `ticket_count` and `last_checked_in_at`."""
    return orders.annotate(
        ticket_count=Count("tickets"),
        tickets_checked_in=Count("tickets", filter=Q(tickets__checked_in_at__isnull=False)),
        last_checked_in_at=Max("tickets__checked_in_at"),
    )
