"""Statuses of the bookings objects and the moves allowed between them.

Services are the only code that changes a status; they check a move against these tables.
"""

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
    OrderStatus.CONFIRMED: {OrderStatus.CANCELLED},
    OrderStatus.PAYMENT_FAILED: set(),
    OrderStatus.REFUSED: set(),
    OrderStatus.EXPIRED: set(),
    OrderStatus.CANCELLED: set(),
}

# Orders whose seats count against the slot's capacity.
SEAT_TAKING_STATUSES = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED)


def can_move(table, current, target) -> bool:
    return target in table.get(current, set())


class PaymentEventKind(models.TextChoices):
    AUTHORISED = "authorised", _("Authorised")
    CAPTURED = "captured", _("Captured")
    RELEASED = "released", _("Released")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
