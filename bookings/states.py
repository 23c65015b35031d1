"""Statuses of the bookings objects and the moves allowed between them.

Services are the only code that changes a status; they check a move against these tables.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class SlotKind(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    # A private slot offered to one customer, waiting for their choice and payment.
    HELD = "held", _("Held for a customer")
    CANCELLED = "cancelled", _("Cancelled")


SLOT_TRANSITIONS = {
    SlotStatus.OPEN: {SlotStatus.CANCELLED, SlotStatus.HELD},
    SlotStatus.HELD: {SlotStatus.OPEN, SlotStatus.CANCELLED},
    SlotStatus.CANCELLED: set(),
}


class OrderStatus(models.TextChoices):
    # Seats held while the customer pays; lapses after CHECKOUT_HOLD_MINUTES.
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    # Card authorised (manual capture); the artisan must accept or refuse.
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Pending confirmation")
    CAPTURING = "capturing", _("Capturing payment")
    CAPTURE_FAILED = "capture_failed", _("Capture failed")
    CONFIRMED = "confirmed", _("Confirmed")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    # The artisan cancelled the date of a confirmed order: the customer chooses another date or a
    # refund (refunded by the system after `choose_by`).
    AWAITING_CHOICE = "awaiting_choice", _("Date cancelled, awaiting the customer's choice")


ORDER_TRANSITIONS = {
    OrderStatus.PENDING_PAYMENT: {
        OrderStatus.CONFIRMED,
        OrderStatus.AWAITING_CONFIRMATION,
        OrderStatus.PAYMENT_FAILED,
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.AWAITING_CONFIRMATION: {
        OrderStatus.CAPTURING,
        OrderStatus.REFUSED,
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.CAPTURING: {OrderStatus.CONFIRMED, OrderStatus.CAPTURE_FAILED},
    OrderStatus.CAPTURE_FAILED: {
        OrderStatus.CAPTURING,
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.REFUSED,
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.CONFIRMED: {OrderStatus.CANCELLED, OrderStatus.AWAITING_CHOICE},
    OrderStatus.AWAITING_CHOICE: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.PAYMENT_FAILED: set(),
    OrderStatus.REFUSED: set(),
    OrderStatus.EXPIRED: set(),
    OrderStatus.CANCELLED: set(),
}


def can_move(table, current, target) -> bool:
    return target in table.get(current, set())


def sources_of(table, target) -> list[str]:
    """The statuses from which `table` allows a move to `target` (for bulk updates)."""
    return sorted(str(current) for current, targets in table.items() if target in targets)


class OrderSource(models.TextChoices):
    """Which flow made an order; the flow's handlers are in bookings/hooks.py."""

    STOREFRONT = "storefront", _("Storefront")
    PRIVATISATION = "privatisation", _("Privatisation")


class ActorKind(models.TextChoices):
    """Who made a change of status (the audit trail)."""

    ARTISAN = "artisan", _("Artisan")
    CUSTOMER = "customer", _("Customer")
    OPS = "ops", _("Ops")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class Actor:
    """Who acts: a kind, and the signed-in user when there is one (artisan or ops)."""

    kind: str = ActorKind.SYSTEM
    user_id: int | None = None

    @classmethod
    def artisan(cls, user=None) -> "Actor":
        return cls(ActorKind.ARTISAN, getattr(user, "pk", None))

    @classmethod
    def ops(cls, user=None) -> "Actor":
        return cls(ActorKind.OPS, getattr(user, "pk", None))


SYSTEM = Actor()
CUSTOMER = Actor(ActorKind.CUSTOMER)


class PaymentEventKind(models.TextChoices):
    AUTHORISED = "authorised", _("Authorised")
    CAPTURED = "captured", _("Captured")
    RELEASED = "released", _("Released")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
