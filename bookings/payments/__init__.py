"""Payments: one interface (`base.py`), two adapters (Stripe, local dev gateway).

gateway = get_gateway()            # settings.STRIPE_SECRET_KEY set → Stripe, else dev
                                   # (only with settings.PAYMENTS_DEV_GATEWAY)
gateway = get_gateway("dev")       # the adapter an order was paid with
"""

from django.conf import settings

from .base import (
    AuthorisationLapsed,
    IntentState,
    IntentStatus,
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentSession,
    PaymentUnavailable,
    WebhookEvent,
)
from .dev import DevGateway
from .stripe_gateway import StripeGateway

__all__ = [
    "AuthorisationLapsed",
    "IntentState",
    "IntentStatus",
    "InvalidWebhook",
    "PaymentDeclined",
    "PaymentError",
    "PaymentGateway",
    "PaymentSession",
    "PaymentUnavailable",
    "WebhookEvent",
    "get_gateway",
]


def get_gateway(provider: str | None = None) -> PaymentGateway:
    """The adapter for `provider` ("stripe" / "dev"), or the configured one when None."""
    if provider is None:
        provider = "stripe" if settings.STRIPE_SECRET_KEY else "dev"
    if provider == "dev" and not settings.PAYMENTS_DEV_GATEWAY:
        # Never a free booking, even where the start-up check was skipped.
        raise PaymentUnavailable("the dev payment gateway is off (PAYMENTS_DEV_GATEWAY)")
    if provider == "stripe":
        return StripeGateway()
    if provider == "dev":
        return DevGateway()
    raise ValueError(f"unknown payment provider {provider!r}")
