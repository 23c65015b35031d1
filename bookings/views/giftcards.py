"""Gift card pages: buy one, the return from the payment page, the printable card (token link),
the balance by code; and the code field of the booking form (`gift_quote_for`)."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..forms.giftcards import MESSAGE_MAX, GiftCardBuyForm, GiftCodeForm
from ..models import GiftCard, Workshop
from ..payments import PaymentError, get_gateway
from ..ratelimit import hit, ratelimit_post
from ..selectors.giftcards import (
    GiftQuote,
    giftcard_by_code,
    giftcard_history,
    giftcard_qr_svg,
    giftcard_quote,
)
from ..services import BookingError
from ..services.giftcard_purchase import giftcard_apply_payment_state, giftcard_start_payment
from ..services.giftcards import giftcard_create
from ..states import GiftCardStatus
from .decorators import token_page

CODE_SCOPE = "giftcard-code"


def _code_guess_allowed(request) -> bool:
    """Every code looked up counts against the client's limit (guessing is slow)."""
    return hit(CODE_SCOPE, request, settings.RATE_LIMIT_GIFT_CARD_CODES)


def gift_quote_for(request, form, currency: str) -> tuple[GiftQuote | None, bool]:
    """The booking form's gift card code (a bound form, POST): what it pays of the total.

    Returns (quote, applying): `applying` when the page must show the form again (the "Apply"
    button, or a code refused) instead of booking."""
    if not form.is_bound:  # an empty POST
        return None, False
    form.is_valid()  # the fields that are valid are in cleaned_data
    applying = "apply_gift" in request.POST
    if applying:  # who is coming is asked for when booking, not to see what the card pays
        for name in ("customer_name", "customer_email", "customer_phone"):
            form.errors.pop(name, None)
    code = form.cleaned_data.get("gift_code")
    if not code:
        if applying:
            form.add_error("gift_code", _("Enter the gift card's code."))
        return None, applying
    if not _code_guess_allowed(request):
        form.add_error("gift_code", _("Too many codes tried. Please wait a little and try again."))
        return None, True
    quote = giftcard_quote(code=code, total_cents=form.total_cents(), currency=currency)
    if quote.error:
        form.add_error("gift_code", quote.error)
        return quote, True
    return quote, applying


def _card_or_404(token: str) -> GiftCard:
    card = GiftCard.objects.filter(token=token).first() if 20 <= len(token) <= 64 else None
    if card is None or not hmac.compare_digest(card.token, token):
        raise Http404
    return card


def _go_pay(request, card: GiftCard):
    back = request.build_absolute_uri(reverse("storefront:giftcard_return", args=[card.token]))
    cancel = request.build_absolute_uri(reverse("storefront:giftcard_buy"))
    try:
        session = giftcard_start_payment(gift_card_id=card.pk, return_url=back, cancel_url=cancel)
    except (PaymentError, BookingError) as exc:
        messages.error(request, exc.message)
        return redirect("storefront:giftcard_print", token=card.token)
    return redirect(session.redirect_url)


@ratelimit_post("giftcard-buy")
def giftcard_buy(request):
    slug = request.GET.get("workshop", "")[:180]
    workshop = Workshop.objects.filter(slug=slug, is_published=True).first() if slug else None
    form = GiftCardBuyForm(request.POST or None, workshop=workshop)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            card = giftcard_create(
                amount_cents=data["amount_cents"],
                buyer_name=data["buyer_name"],
                buyer_email=data["buyer_email"],
                recipient_name=data["recipient_name"],
                recipient_email=data["recipient_email"],
                message=data["message"],
                send_on=data["send_on"],
                language=translation.get_language() or "en",
            )
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _go_pay(request, card)
    return render(
        request,
        "bookings/giftcards/buy.html",
        {"form": form, "workshop": workshop, "message_max": MESSAGE_MAX},
        status=400 if request.method == "POST" else 200,
    )


@token_page
def giftcard_return(request, token: str):
    """Back from the payment page: ask the gateway (the webhook may not have come yet)."""
    card = _card_or_404(token)
    if card.payment_intent_id and card.status == GiftCardStatus.PENDING_PAYMENT:
        try:
            state = get_gateway(card.payment_provider or None).retrieve(card.payment_intent_id)
        except PaymentError:
            pass  # the webhook will tell; the page says the payment is being checked
        else:
            giftcard_apply_payment_state(gift_card_id=card.pk, state=state)
    return redirect("storefront:giftcard_print", token=card.token)


@token_page
def giftcard_print(request, token: str):
    """The card: the buyer's page after paying, the recipient's printable card (QR + message)."""
    card = _card_or_404(token)
    if request.method == "POST" and card.status == GiftCardStatus.PENDING_PAYMENT:
        return _go_pay(request, card)
    paid = card.status != GiftCardStatus.PENDING_PAYMENT
    return render(
        request,
        "bookings/giftcards/card.html",
        {
            "card": card,
            "paid": paid,
            "qr": giftcard_qr_svg(card) if paid else "",
            "expired": card.is_expired(),
        },
    )


@token_page
@ratelimit_post(CODE_SCOPE, rate_setting="RATE_LIMIT_GIFT_CARD_CODES")
def giftcard_balance(request):
    """What is left on a card, its expiry and every use — by code (POST: a code is a secret)."""
    form = GiftCodeForm(request.POST or None)
    card = None
    if request.method == "POST" and form.is_valid():
        card = giftcard_by_code(form.cleaned_data["code"])
        if card is None:
            form.add_error("code", _("This gift card code is not valid."))
    return render(
        request,
        "bookings/giftcards/balance.html",
        {
            "form": form,
            "card": card,
            "entries": giftcard_history(card) if card else [],
            "expired": bool(card and card.expires_at <= timezone.now()),
        },
        status=400 if request.method == "POST" and card is None else 200,
    )
