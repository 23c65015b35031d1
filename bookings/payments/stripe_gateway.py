"""The Stripe adapter (the only module that speaks Stripe).

Customers pay on a Stripe Checkout Session (a redirect: no card field on our pages, so the
strict CSP stays). Ordinary tickets are captured automatically; tickets that must be
confirmed first use `capture_method=manual` and are captured or released later on the
PaymentIntent. The session id (`cs_…`) is the first reference stored on the order; once the
customer has paid, `retrieve` answers with the PaymentIntent id (`pi_…`), which the order
keeps from then on.
"""

import json
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings

from .base import (
    AuthorisationLapsed,
    IntentState,
    IntentStatus,
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    PaymentSession,
    PaymentUnavailable,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

PI_STATUS = {
    "requires_payment_method": IntentStatus.REQUIRES_PAYMENT,
    "requires_confirmation": IntentStatus.REQUIRES_PAYMENT,
    "requires_action": IntentStatus.REQUIRES_PAYMENT,
    "processing": IntentStatus.REQUIRES_PAYMENT,
    "requires_capture": IntentStatus.AUTHORISED,
    "succeeded": IntentStatus.SUCCEEDED,
    "canceled": IntentStatus.CANCELLED,
}
# Codes that mean the authorisation is gone for good.
LAPSED_CODES = {"charge_expired_for_capture", "payment_intent_unexpected_state"}


def _get(obj, key, default=None):
    if obj is None:
        return default
    try:
        value = obj[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


class StripeGateway:
    name = "stripe"
    # Tests put a fake `stripe.HTTPClient` here (recorded responses); None = the library's own.
    http_client: stripe.HTTPClient | None = None
    max_network_retries = 2

    def __init__(self):
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,
            http_client=self.http_client,
            max_network_retries=self.max_network_retries,
        )

    # --- calls -----------------------------------------------------------------------------

    def create_payment(
        self,
        *,
        amount_cents,
        currency,
        description,
        manual_capture,
        customer_email,
        return_url,
        cancel_url,
        metadata,
        idempotency_key,
    ) -> PaymentSession:
        metadata = {k: str(v) for k, v in metadata.items()}
        params = {
            "mode": "payment",
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount_cents,
                        "product_data": {"name": description[:250]},
                    },
                }
            ],
            "success_url": return_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "payment_intent_data": {
                "capture_method": "manual" if manual_capture else "automatic",
                "metadata": metadata,
                "description": description[:250],
            },
        }
        if customer_email:
            params["customer_email"] = customer_email
        with _errors():
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return PaymentSession(provider=self.name, reference=session.id, redirect_url=session.url)

    def retrieve(self, reference: str) -> IntentState:
        with _errors():
            if reference.startswith("cs_"):
                session = self.client.v1.checkout.sessions.retrieve(
                    reference, params={"expand": ["payment_intent", "payment_intent.latest_charge"]}
                )
                intent = _get(session, "payment_intent")
                if intent is None or isinstance(intent, str):
                    if isinstance(intent, str):
                        return self.retrieve(intent)
                    status = (
                        IntentStatus.CANCELLED
                        if session.status == "expired"
                        else IntentStatus.REQUIRES_PAYMENT
                    )
                    return IntentState(
                        reference=session.id,
                        status=status,
                        amount_cents=_get(session, "amount_total", 0),
                        currency=(_get(session, "currency", "") or "").upper(),
                    )
            else:
                intent = self.client.v1.payment_intents.retrieve(
                    reference, params={"expand": ["latest_charge"]}
                )
        return _intent_state(intent)

    def checkout_url(self, reference: str) -> str | None:
        if not reference.startswith("cs_"):
            return None  # a PaymentIntent: the customer already went through checkout
        with _errors():
            session = self.client.v1.checkout.sessions.retrieve(reference)
        return session.url if _get(session, "status") == "open" else None

    def capture(self, *, reference: str, amount_cents: int, idempotency_key: str) -> IntentState:
        with _errors(capturing=True):
            intent = self.client.v1.payment_intents.capture(
                reference,
                params={"amount_to_capture": amount_cents, "expand": ["latest_charge"]},
                options={"idempotency_key": idempotency_key},
            )
        return _intent_state(intent)

    def cancel(self, *, reference: str, idempotency_key: str) -> IntentState:
        with _errors():
            if reference.startswith("cs_"):
                session = self.client.v1.checkout.sessions.retrieve(reference)
                intent = _get(session, "payment_intent")
                if not intent:
                    if session.status == "open":
                        self.client.v1.checkout.sessions.expire(
                            reference, options={"idempotency_key": idempotency_key}
                        )
                    return IntentState(
                        reference=reference,
                        status=IntentStatus.CANCELLED,
                        amount_cents=_get(session, "amount_total", 0),
                        currency=(_get(session, "currency", "") or "").upper(),
                    )
                reference = intent if isinstance(intent, str) else intent.id
            intent = self.client.v1.payment_intents.cancel(
                reference, options={"idempotency_key": idempotency_key}
            )
        return _intent_state(intent)

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> str:
        with _errors():
            refund = self.client.v1.refunds.create(
                params={"payment_intent": reference, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        if refund.status == "failed":
            raise PaymentError("The refund failed at the payment provider.", code="refund_failed")
        return refund.id

    def parse_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent:
        signature = headers.get("Stripe-Signature") or headers.get("stripe-signature")
        if not signature or not settings.STRIPE_WEBHOOK_SECRET:
            raise InvalidWebhook("missing signature")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, settings.STRIPE_WEBHOOK_SECRET
            )
            obj = json.loads(payload)["data"]["object"]  # verified above; read as plain JSON
            if not isinstance(obj, dict) or not event.id or not event.type:
                raise ValueError("not an event")
        except (
            stripe.SignatureVerificationError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            # A signed body that is not an event is refused like a bad signature (400), never a 500.
            raise InvalidWebhook(str(exc)) from exc
        reference = obj.get("id", "")
        if event.type.startswith("checkout.session.") and obj.get("payment_intent"):
            intent = obj["payment_intent"]
            reference = intent if isinstance(intent, str) else intent["id"]
        metadata = obj.get("metadata") or {}
        return WebhookEvent(
            id=event.id,
            type=event.type,
            reference=reference,
            order_id=str(metadata.get("order_id", "")),
            gift_card_id=str(metadata.get("gift_card_id", "")),
        )


def _intent_state(intent) -> IntentState:
    status = PI_STATUS.get(intent.status, IntentStatus.REQUIRES_PAYMENT)
    capture_before = None
    charge = _get(intent, "latest_charge")
    if charge is not None and not isinstance(charge, str):
        card = _get(_get(charge, "payment_method_details"), "card")
        stamp = _get(card, "capture_before")
        if stamp:
            capture_before = datetime.fromtimestamp(int(stamp), tz=UTC)
    error = _get(_get(intent, "last_payment_error"), "message", "")
    amount = _get(intent, "amount_received", 0) if status == IntentStatus.SUCCEEDED else 0
    return IntentState(
        reference=intent.id,
        status=status,
        amount_cents=amount or _get(intent, "amount", 0),
        currency=(_get(intent, "currency", "") or "").upper(),
        capture_before=capture_before,
        error=error,
    )


class _errors:
    """Map the Stripe library's exceptions onto ours, with messages a person can read."""

    def __init__(self, *, capturing: bool = False):
        self.capturing = capturing

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, stripe.StripeError):
            return False
        logger.warning("Stripe error: %s (%s)", exc, getattr(exc, "code", ""))
        code = getattr(exc, "code", "") or ""
        if isinstance(exc, stripe.CardError):
            raise PaymentDeclined(exc.user_message or "The card was declined.", code=code) from exc
        if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
            raise PaymentUnavailable(
                "The payment service cannot be reached right now. Please try again in a moment.",
                code=code,
            ) from exc
        if isinstance(exc, stripe.InvalidRequestError):
            if self.capturing and code in LAPSED_CODES:
                raise AuthorisationLapsed(
                    "The card authorisation has expired or was released; it can no longer be charged.",
                    code=code,
                ) from exc
            raise PaymentError(
                exc.user_message or "The payment service refused the request.", code=code
            ) from exc
        if isinstance(exc, stripe.APIError) or (getattr(exc, "http_status", 0) or 0) >= 500:
            raise PaymentUnavailable(
                "The payment service had a problem. Please try again in a moment.", code=code
            ) from exc
        raise PaymentError("The payment service refused the request.", code=code) from exc
