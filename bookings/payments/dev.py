"""The local dev gateway: what `make run` uses when no Stripe key is set.

It plays the provider's part with a `DevPayment` row and a local checkout page
(`/pay/dev/<reference>/`) with "Pay" and "Decline" buttons. Paying moves the payment through
the states Stripe would (authorised for manual capture, else succeeded), then hands a
webhook-style event to the same service Stripe's webhook calls.
"""

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..models import DevPayment
from .base import (
    AuthorisationLapsed,
    IntentState,
    IntentStatus,
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    PaymentSession,
    WebhookEvent,
)

# Card authorisations last about a week at Stripe; the dev gateway does the same.
AUTHORISATION_DAYS = 7


def _state(payment: DevPayment) -> IntentState:
    return IntentState(
        reference=payment.reference,
        status=payment.status,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        capture_before=payment.capture_before,
        error=payment.error,
    )


def _sign(payload: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), payload, hashlib.sha256).hexdigest()


def _provider_latency() -> None:
    """Stand in for a real provider's round trip (DEV_GATEWAY_LATENCY_MS, 0 by default): the
    benchmarks time captures as they would run against Stripe. Called before any transaction
    is opened here, as a network call would be."""
    latency_ms = settings.DEV_GATEWAY_LATENCY_MS
    if latency_ms > 0:
        time.sleep(latency_ms / 1000)


class DevGateway:
    name = "dev"

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
        _provider_latency()
        existing = DevPayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = DevPayment.objects.create(
                        reference="dev_" + secrets.token_urlsafe(18),
                        amount_cents=amount_cents,
                        currency=currency,
                        description=description[:255],
                        customer_email=customer_email,
                        manual_capture=manual_capture,
                        return_url=return_url,
                        cancel_url=cancel_url,
                        metadata={k: str(v) for k, v in metadata.items()},
                        idempotency_key=idempotency_key,
                    )
            except IntegrityError:  # the same key raced in: return that payment
                existing = DevPayment.objects.get(idempotency_key=idempotency_key)
        return PaymentSession(
            provider=self.name,
            reference=existing.reference,
            redirect_url=reverse("storefront:dev_checkout", args=[existing.reference]),
        )

    def retrieve(self, reference: str) -> IntentState:
        payment = DevPayment.objects.filter(reference=reference).first()
        if payment is None:
            raise PaymentError("This payment does not exist.", code="resource_missing")
        return _state(payment)

    def checkout_url(self, reference: str) -> str | None:
        payment = DevPayment.objects.filter(reference=reference).first()
        if payment is None or payment.status != IntentStatus.REQUIRES_PAYMENT:
            return None
        return reverse("storefront:dev_checkout", args=[payment.reference])

    # --- the customer's side (the local checkout page) -----------------------------------

    def customer_pays(self, reference: str) -> IntentState:
        with transaction.atomic():
            payment = DevPayment.objects.select_for_update().get(reference=reference)
            if payment.status in (IntentStatus.REQUIRES_PAYMENT, IntentStatus.FAILED):
                if payment.manual_capture:
                    payment.status = IntentStatus.AUTHORISED
                    payment.capture_before = timezone.now() + timedelta(days=AUTHORISATION_DAYS)
                else:
                    payment.status = IntentStatus.SUCCEEDED
                    payment.captured_cents = payment.amount_cents
                payment.error = ""
                payment.save(
                    update_fields=[
                        "status",
                        "capture_before",
                        "captured_cents",
                        "error",
                        "updated_at",
                    ]
                )
        return _state(payment)

    def customer_declines(self, reference: str) -> IntentState:
        with transaction.atomic():
            payment = DevPayment.objects.select_for_update().get(reference=reference)
            if payment.status == IntentStatus.REQUIRES_PAYMENT:
                payment.status = IntentStatus.FAILED
                payment.error = "Your card was declined."
                payment.save(update_fields=["status", "error", "updated_at"])
        return _state(payment)

    # --- the merchant's side ---------------------------------------------------------------

    def capture(self, *, reference: str, amount_cents: int, idempotency_key: str) -> IntentState:
        _provider_latency()
        with transaction.atomic():
            payment = DevPayment.objects.select_for_update().filter(reference=reference).first()
            if payment is None:
                raise PaymentError("This payment does not exist.", code="resource_missing")
            if payment.status == IntentStatus.SUCCEEDED:
                return _state(payment)  # already captured: same answer as a replayed key
            lapsed = payment.capture_before is not None and payment.capture_before <= timezone.now()
            if payment.status == IntentStatus.CANCELLED or (
                payment.status == IntentStatus.AUTHORISED and lapsed
            ):
                payment.status = IntentStatus.CANCELLED
                payment.save()
                raise AuthorisationLapsed(
                    "The card authorisation has expired or was released; it can no longer be charged.",
                    code="charge_expired_for_capture",
                )
            if payment.status != IntentStatus.AUTHORISED:
                raise PaymentError(
                    "This payment cannot be captured in its current state.", code="unexpected_state"
                )
            if payment.decline_on_capture:
                payment.status = IntentStatus.FAILED
                payment.error = "Your card was declined."
                payment.save()
                raise PaymentDeclined(
                    "The card was declined when it was charged.", code="card_declined"
                )
            payment.status = IntentStatus.SUCCEEDED
            payment.captured_cents = min(amount_cents, payment.amount_cents)
            payment.save()
        return _state(payment)

    def cancel(self, *, reference: str, idempotency_key: str) -> IntentState:
        _provider_latency()
        with transaction.atomic():
            payment = DevPayment.objects.select_for_update().filter(reference=reference).first()
            if payment is None:
                raise PaymentError("This payment does not exist.", code="resource_missing")
            if payment.status == IntentStatus.SUCCEEDED:
                raise PaymentError(
                    "This payment was already charged; refund it instead.", code="unexpected_state"
                )
            if payment.status != IntentStatus.CANCELLED:
                payment.status = IntentStatus.CANCELLED
                payment.save()
        return _state(payment)

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> str:
        _provider_latency()
        with transaction.atomic():
            payment = DevPayment.objects.select_for_update().filter(reference=reference).first()
            if payment is None:
                raise PaymentError("This payment does not exist.", code="resource_missing")
            if payment.status != IntentStatus.SUCCEEDED:
                raise PaymentError(
                    "Only a charged payment can be refunded.", code="unexpected_state"
                )
            refund_id = "dev_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
            done = payment.metadata.get("_refunds", "").split(",")
            if refund_id not in done:  # the same key refunds once
                if payment.refunded_cents + amount_cents > payment.captured_cents:
                    raise PaymentError(
                        "The refund is larger than what was charged.", code="amount_too_large"
                    )
                payment.refunded_cents += amount_cents
                payment.metadata["_refunds"] = ",".join([*filter(None, done), refund_id])
                payment.save()
        return refund_id

    # --- webhook-style events --------------------------------------------------------------

    def event_for(self, payment_state: IntentState, kind: str) -> WebhookEvent:
        """The event the dev checkout page hands to the webhook service after a customer action."""
        payment = DevPayment.objects.get(reference=payment_state.reference)
        return WebhookEvent(
            id=f"dev_evt_{payment.reference}_{kind}",
            type=f"payment.{kind}",
            reference=payment.reference,
            order_id=payment.metadata.get("order_id", ""),
            gift_card_id=str(payment.metadata.get("gift_card_id", "")),
        )

    def signed_payload(self, event: WebhookEvent) -> tuple[bytes, dict]:
        payload = json.dumps(
            {
                "id": event.id,
                "type": event.type,
                "reference": event.reference,
                "order_id": event.order_id,
            }
        ).encode()
        return payload, {"X-Dev-Signature": _sign(payload)}

    def parse_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent:
        signature = headers.get("X-Dev-Signature") or headers.get("x-dev-signature") or ""
        if not signature or not hmac.compare_digest(signature, _sign(payload)):
            raise InvalidWebhook("bad or missing signature")
        try:
            data = json.loads(payload)
            return WebhookEvent(
                id=str(data["id"]),
                type=str(data["type"]),
                reference=str(data["reference"]),
                order_id=str(data.get("order_id", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook("unreadable payload") from exc
