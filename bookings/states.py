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


class MinimumDecision(models.TextChoices):
    """What became of a slot below its workshop's minimum participants (blank: not decided)."""

    UPHELD = "upheld", _("Upheld by the artisan")
    CANCELLED = "cancelled", _("Cancelled by the artisan")
    # No answer by the decision time: the system cancelled it.
    EXPIRED = "expired", _("Cancelled without an answer")
    # No answer, but by the decision time the minimum was reached (or removed): it runs.
    REACHED = "reached", _("Minimum reached in time")


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


class DateAlertStatus(models.TextChoices):
    """A "tell me when new dates open" subscription (bookings/services/date_alerts.py)."""

    # Waiting for the link of the confirmation email (double opt-in).
    PENDING = "pending", _("Awaiting confirmation")
    ACTIVE = "active", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    # The last of the alerts allowed went out: the subscription ended (subscribe again to renew).
    COMPLETED = "completed", _("Ended after the last alert")


DATE_ALERT_TRANSITIONS = {
    DateAlertStatus.PENDING: {DateAlertStatus.ACTIVE, DateAlertStatus.UNSUBSCRIBED},
    DateAlertStatus.ACTIVE: {DateAlertStatus.UNSUBSCRIBED, DateAlertStatus.COMPLETED},
    # Subscribing again from the workshop page starts a new double opt-in; the link of an
    # unsubscribe page resumes at once (its token proves the address).
    DateAlertStatus.UNSUBSCRIBED: {DateAlertStatus.PENDING, DateAlertStatus.ACTIVE},
    DateAlertStatus.COMPLETED: {DateAlertStatus.PENDING},
}
# --- gift cards ---------------------------------------------------------------------------------


class GiftCardStatus(models.TextChoices):
    # Bought, waiting for the buyer's payment (not usable yet).
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


GIFT_CARD_TRANSITIONS = {
    GiftCardStatus.PENDING_PAYMENT: {GiftCardStatus.ACTIVE, GiftCardStatus.CANCELLED},
    GiftCardStatus.ACTIVE: {
        GiftCardStatus.ACTIVE,
        GiftCardStatus.CANCELLED,
    },  # active → active: extended
    GiftCardStatus.CANCELLED: set(),
}


class GiftCardEntryKind(models.TextChoices):
    """One move of a gift card's ledger; its signed amount adds to the balance."""

    ISSUE = "issue", _("Issued")
    RESERVE = "reserve", _("Reserved for a booking")
    USE = "use", _("Used")
    RELEASE = "release", _("Reservation released")
    REFUND = "refund", _("Refunded to the card")
    EXPIRE = "expire", _("Expired")
    CANCEL = "cancel", _("Cancelled")


class GiftCardSource(models.TextChoices):
    PURCHASE = "purchase", _("Bought")
    ORDER = "order", _("A cancelled booking")
    OPS = "ops", _("Issued by ops")
