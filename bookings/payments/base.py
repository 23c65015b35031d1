"""The payment interface. Two adapters implement it: Stripe (production) and a local dev
gateway (make run). This package is the only place that speaks Stripe.

Rules every adapter and caller follows:
- never called inside an open database transaction (mark the order, commit, call, record);
- every mutating call carries an idempotency key built from our id and the action,
  e.g. f"order:{order.pk}:capture";
- amounts are integer minor units with an ISO currency.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class PaymentError(Exception):
    """A payment call failed. `message` is safe to show to a person."""

    transient = False

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class PaymentDeclined(PaymentError):
    """The card was declined (at authorisation or capture)."""


class AuthorisationLapsed(PaymentError):
    """The authorisation is gone (expired or cancelled): capture is impossible."""


class PaymentUnavailable(PaymentError):
    """Network error, timeout, 5xx or rate limit: trying again later may work."""

    transient = True


class InvalidWebhook(Exception):
    """Bad or missing signature, or a payload that cannot be read."""


class IntentStatus:
    REQUIRES_PAYMENT = "requires_payment"  # the customer has not paid yet
    AUTHORISED = "authorised"  # manual capture: card held, not charged
    SUCCEEDED = "succeeded"  # charged
    CANCELLED = "cancelled"  # authorisation released / payment abandoned
    FAILED = "failed"  # declined


@dataclass(frozen=True)
class PaymentSession:
    """Where to send the customer to pay, and the provider's reference for this payment."""

    provider: str
    reference: str  # PaymentIntent id (or dev gateway id) stored on the order
    redirect_url: str


@dataclass(frozen=True)
class IntentState:
    reference: str
    status: str  # an IntentStatus value
    amount_cents: int
    currency: str
    capture_before: datetime | None = None  # when an authorisation lapses
    error: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    id: str  # the provider's event id (replays carry the same id)
    type: str
    reference: str  # the PaymentIntent (or dev payment) it is about
    order_id: str = ""  # our order id, from the payment's metadata, when the event carries it
    gift_card_id: str = ""  # our gift card id (a gift card's purchase), likewise


class PaymentGateway(Protocol):
    name: str

    def create_payment(
        self,
        *,
        amount_cents: int,
        currency: str,
        description: str,
        manual_capture: bool,
        customer_email: str,
        return_url: str,
        cancel_url: str,
        metadata: dict,
        idempotency_key: str,
    ) -> PaymentSession: ...

    def retrieve(self, reference: str) -> IntentState: ...

    def checkout_url(self, reference: str) -> str | None:
        """Where the customer pays `reference`, while it can still be paid; None otherwise."""
        ...

    def capture(
        self, *, reference: str, amount_cents: int, idempotency_key: str
    ) -> IntentState: ...

    def cancel(self, *, reference: str, idempotency_key: str) -> IntentState: ...

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> str: ...

    def parse_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent: ...
