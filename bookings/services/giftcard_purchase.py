"""Buying a gift card: the buyer's payment, through the same gateway as a booking.

The card is made awaiting payment (`giftcards.giftcard_create`); `giftcard_start_payment` opens
the gateway's checkout (outside any transaction); the return page, the dev checkout and the
Stripe webhook all end in `giftcard_apply_payment_state`, which issues the card once it is paid,
writes the buyer's receipt and, on the send day, the card's email.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from notifications.services import notification_enqueue
from notifications.states import Channel

from ..models import GiftCard
from ..payments import IntentState, IntentStatus, get_gateway
from ..payments.base import PaymentSession
from ..selectors.giftcards import giftcard_url
from ..states import CUSTOMER, GiftCardStatus
from ..templatetags.atelier import format_money
from .errors import BookingError
from .giftcards import giftcard_issue, giftcard_key
from .transitions import for_update


def giftcard_start_payment(
    *, gift_card_id: int, return_url: str, cancel_url: str
) -> PaymentSession:
    """Open the gateway's checkout for a card awaiting payment (a second click goes back to it)."""
    card = GiftCard.objects.get(pk=gift_card_id)
    if card.status != GiftCardStatus.PENDING_PAYMENT:
        raise BookingError(_("This gift card is already paid."))
    gateway = get_gateway(card.payment_provider or None)
    if card.payment_intent_id:
        url = gateway.checkout_url(card.payment_intent_id)
        if url:
            return PaymentSession(
                provider=gateway.name, reference=card.payment_intent_id, redirect_url=url
            )
    session = gateway.create_payment(
        amount_cents=card.amount_cents,
        currency=card.currency,
        description=_("Atelier gift card %(amount)s")
        % {"amount": format_money(card.amount_cents, card.currency)},
        manual_capture=False,
        customer_email=card.buyer_email,
        return_url=return_url,
        cancel_url=cancel_url,
        metadata={"gift_card_id": card.pk},
        idempotency_key=giftcard_key(
            card.pk,
            "checkout",
            *(["after", card.payment_intent_id] if card.payment_intent_id else []),
        ),
    )
    with transaction.atomic():
        card = for_update(GiftCard.objects.filter(pk=gift_card_id)).get()
        if card.status == GiftCardStatus.PENDING_PAYMENT:
            card.payment_provider = session.provider
            card.payment_intent_id = session.reference
            card.save(update_fields=["payment_provider", "payment_intent_id"])
    return session


def giftcard_for_payment(reference: str, gift_card_id: str = "") -> int | None:
    """The card a provider payment is for (webhooks): by the id in the payment's metadata, else
    by the payment's reference."""
    cards = GiftCard.objects.values_list("pk", flat=True)
    if gift_card_id.isdigit():
        return cards.filter(pk=int(gift_card_id)).first()
    return cards.filter(payment_intent_id=reference).first() if reference else None


def giftcard_apply_payment_state(*, gift_card_id: int, state: IntentState) -> GiftCard:
    """Bring the card in line with its payment: paid → issued (once), receipt to the buyer."""
    if state.status != IntentStatus.SUCCEEDED:
        return GiftCard.objects.get(pk=gift_card_id)
    with transaction.atomic():
        card = for_update(GiftCard.objects.filter(pk=gift_card_id)).get()
        if card.status != GiftCardStatus.PENDING_PAYMENT or state.amount_cents < card.amount_cents:
            return card
        card = giftcard_issue(gift_card_id=card.pk, actor=CUSTOMER, message=state.reference)
        notification_enqueue(
            channel=Channel.EMAIL,
            recipient=card.buyer_email,
            template="bookings/emails/giftcard_receipt",
            context={
                "card": card,
                "card_url": giftcard_url(card),
                "site_url": settings.SITE_URL,
            },
            language=card.language,
            key=f"giftcard:{card.pk}:receipt:email",
        )
    return card
