"""What the flows of this package share: the rules on open orders, locks, batches, notifications."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from bookings.models import Order
from bookings.services.transitions import for_update, slots_lock
from bookings.states import Actor, ActorKind, OrderStatus
from notifications.services import notification_enqueue
from notifications.states import Channel

from ..models import DecisionBatch, PendingOrderState
from .errors import OrdersNotFound

# Statuses in which the artisan still has a decision to make (or to retry).
OPEN_STATUSES = (OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURE_FAILED)
# What accept and retry read of each order (500 orders: only what the rules need).
DECISION_FIELDS = (
    "pk",
    "status",
    "decide_by",
    "seats",
    "slot_id",
    "holds_seats",
    "authorisation_expires_at",
)


def is_overdue(order, now=None) -> bool:
    """Past its decision deadline an open order is expired, whatever the beat job has done."""
    now = now or timezone.now()
    return order.status in OPEN_STATUSES and order.decide_by is not None and order.decide_by <= now


def display_status(order, now=None) -> str:
    """The status a page shows: an overdue order reads as expired at once."""
    return OrderStatus.EXPIRED if is_overdue(order, now) else order.status


def as_actor(user, kind: str = ActorKind.ARTISAN) -> Actor:
    return Actor(kind, getattr(user, "pk", None))


def clean_ids(order_ids) -> list[int]:
    try:
        return sorted({int(i) for i in order_ids})
    except (TypeError, ValueError) as exc:
        raise OrdersNotFound() from exc


def lock_orders(artisan, ids: list[int], *, light: bool = False):
    """This artisan's confirm-first orders and their slots, all or not found.

    Lock order as in bookings: the slots first, then the orders, each in primary-key order.
    `light` reads only DECISION_FIELDS (no emails to render).
    """
    mine = Order.objects.filter(
        pk__in=ids, slot__workshop__artisan=artisan, requires_confirmation=True
    )
    slots = slots_lock(mine.values_list("slot_id", flat=True))
    locked = (
        mine.only(*DECISION_FIELDS) if light else mine.select_related("slot__workshop__artisan")
    )
    orders = list(for_update(locked.order_by("pk")))
    if not ids or len(orders) != len(ids):
        raise OrdersNotFound()
    return orders, slots


def stamp_states(order_ids, **fields) -> None:
    """Create or update the PendingOrderState of each order in one query."""
    if not order_ids:
        return
    PendingOrderState.objects.bulk_create(
        [PendingOrderState(order_id=pk, **fields) for pk in order_ids],
        update_conflicts=True,
        unique_fields=["order"],
        update_fields=list(fields),
    )


def status_reason(order, now) -> str:
    if is_overdue(order, now):
        return _("The decision deadline has passed: the order has expired.")
    return {
        OrderStatus.REFUSED: _("This order was already refused."),
        OrderStatus.CONFIRMED: _("This order was already accepted."),
        OrderStatus.CAPTURING: _("This order was already accepted; its payment is being captured."),
        OrderStatus.EXPIRED: _("The decision deadline has passed: the order has expired."),
        OrderStatus.CANCELLED: _("This order was cancelled."),
        OrderStatus.CAPTURE_FAILED: _("The payment capture failed; retry it or refuse the order."),
        OrderStatus.PENDING_PAYMENT: _("The customer has been sent a payment link."),
    }.get(order.status, _("This order cannot be changed now."))


def digest(ids) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()[:16]


@dataclass
class Outcome:
    done: list
    already: list
    errors: dict


def record_batch(*, artisan, actor, action, message, ids, outcome: Outcome) -> DecisionBatch:
    return DecisionBatch.objects.create(
        artisan=artisan,
        actor=actor,
        action=action,
        message=message,
        order_ids=ids,
        done_ids=[o.pk for o in outcome.done],
        already_ids=outcome.already,
        errors={str(k): v for k, v in outcome.errors.items()},
    )


def order_url(order) -> str:
    try:
        return settings.SITE_URL + reverse("storefront:order", args=[order.token])
    except NoReverseMatch:
        return ""


def notify_customer(order, name: str, extra: dict) -> None:
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template=f"pending_orders/emails/{name}",
        context={
            "order": order,
            "slot": order.slot,
            "workshop": order.slot.workshop,
            "order_url": order_url(order),
            **extra,
        },
        language=order.language,
        key=f"order:{order.pk}:{name}:email",
    )


def notify_artisan(artisan, name: str, context: dict, *, key: str) -> None:
    with override(artisan.language):
        url = settings.SITE_URL + reverse("pending_orders:list")
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=artisan.email,
        template=f"pending_orders/emails/{name}",
        context={"artisan": artisan, "list_url": url, **context},
        language=artisan.language,
        key=key,
    )
