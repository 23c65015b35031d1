"""Provider events (Stripe webhooks, the dev checkout's callbacks): verified upstream,
processed once per event id, always by re-fetching the payment and calling the one
reconciliation service, `order_apply_payment_state`.
"""

import logging

from django.db import IntegrityError, transaction

from ..models import Order
from ..models import WebhookEvent as ProcessedEvent
from ..payments import WebhookEvent, get_gateway
from .checkout import order_apply_payment_state
from .giftcard_purchase import giftcard_apply_payment_state, giftcard_for_payment

logger = logging.getLogger(__name__)


def _order_for(event: WebhookEvent) -> Order | None:
    if event.order_id.isdigit():
        order = Order.objects.filter(pk=int(event.order_id)).first()
        if order is not None:
            return order
    if event.reference:
        return Order.objects.filter(payment_intent_id=event.reference).first()
    return None


def payment_event_process(*, provider: str, event: WebhookEvent) -> str:
    """Handle one provider event. Returns "processed", "replay" or "ignored".

    Raises PaymentUnavailable when the provider cannot be asked (the provider retries the
    event later; nothing was recorded).
    """
    if ProcessedEvent.objects.filter(provider=provider, event_id=event.id).exists():
        return "replay"
    order = _order_for(event)
    card_id = None if order else giftcard_for_payment(event.reference, event.gift_card_id)
    if card_id is not None and event.reference:
        return _giftcard_event_process(provider, event, card_id)
    state = None
    if order is not None and event.reference:
        # Never trust the event's payload: ask the provider for the payment's state now.
        state = get_gateway(provider).retrieve(event.reference)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(
                    provider=provider, event_id=event.id, event_type=event.type[:120]
                )
        except IntegrityError:
            return "replay"
        if state is None:
            logger.info("Payment event %s (%s) matches no order; ignored", event.id, event.type)
            return "ignored"
        order_apply_payment_state(order_id=order.pk, state=state)
    return "processed"


def _giftcard_event_process(provider: str, event: WebhookEvent, card_id: int) -> str:
    """An event about a gift card's payment: the same shape, once per event id."""
    state = get_gateway(provider).retrieve(event.reference)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(
                    provider=provider, event_id=event.id, event_type=event.type[:120]
                )
        except IntegrityError:
            return "replay"
        giftcard_apply_payment_state(gift_card_id=card_id, state=state)
    return "processed"
