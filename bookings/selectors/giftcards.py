"""Gift card reads: a card by its code, its uses, what an order paid by gift card."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import GiftCard, GiftCardEntry
from ..states import GiftCardEntryKind, GiftCardStatus
from .tickets import ticket_qr_svg

# The key suffix of the release that turns a reservation into a use (services.giftcards).
CONSUMED_SUFFIX = ":from-reserve"


def giftcard_url(card: GiftCard) -> str:
    """The printable card's link (token URL)."""
    return settings.SITE_URL + reverse("storefront:giftcard_print", args=[card.token])


def giftcard_by_code(code: str) -> GiftCard | None:
    """The card a person typed the code of (normalised by the caller), if it was ever paid."""
    if not code:
        return None
    return GiftCard.objects.filter(code=code).exclude(status=GiftCardStatus.PENDING_PAYMENT).first()


def giftcard_history(card: GiftCard) -> list[GiftCardEntry]:
    """Every move of the card as its holder reads it, oldest first, with the booking it was for.

    A reservation that became a use is shown as the use alone (the ledger holds the reservation,
    its release and the use; the sum is the same)."""
    entries = list(
        card.entries.select_related("order__slot__workshop").order_by("created_at", "pk")
    )
    used = {e.order_id for e in entries if e.kind == GiftCardEntryKind.USE}
    return [
        e
        for e in entries
        if not (e.order_id in used and e.kind == GiftCardEntryKind.RESERVE)
        and not e.idempotency_key.endswith(CONSUMED_SUFFIX)
    ]


def giftcard_qr_svg(card: GiftCard) -> str:
    """An inline <svg> QR code of the card's code (the artisan or checkout types or scans it),
    drawn as the tickets' are."""
    return ticket_qr_svg(card.display_code)


def order_giftcard_cents(order_id: int) -> int:
    """What gift cards hold or paid for the order now (reserved or used, not given back)."""
    total = GiftCardEntry.objects.filter(order_id=order_id).aggregate(s=Sum("amount_cents"))["s"]
    return -(total or 0)


def order_card_cents(order) -> int:
    """What the order's bank card pays: the total less the gift-card part."""
    return max(order.total_cents - order_giftcard_cents(order.pk), 0)


@dataclass(frozen=True)
class PaymentSplit:
    method: str  # "card", "gift_card", "both" or "none"
    card_cents: int
    gift_card_cents: int
    codes: tuple[str, ...] = ()


def order_payment_split(order) -> PaymentSplit:
    """How an order was (or is being) paid: bank card, gift card, or both — for the Orders page.

    The gift-card part counts what was reserved for the order, even if it went back to the card
    since (it says how the order was paid, not what is held now)."""
    return orders_payment_split([order])[order.pk]


def orders_payment_split(orders) -> dict[int, PaymentSplit]:
    """`order_payment_split` of many orders in one query (a list page): {order id: split}."""
    orders = list(orders)
    reserved: dict[int, list[tuple[str, int]]] = {o.pk: [] for o in orders}
    rows = GiftCardEntry.objects.filter(
        order_id__in=list(reserved), kind=GiftCardEntryKind.RESERVE
    ).values_list("order_id", "gift_card__code", "amount_cents")
    for order_id, code, amount in rows:
        reserved[order_id].append((code, amount))
    splits = {}
    for order in orders:
        gift = min(-sum(amount for _code, amount in reserved[order.pk]), order.total_cents)
        card = order.total_cents - gift
        method = "both" if gift and card else "gift_card" if gift else "card" if card else "none"
        codes = tuple(sorted({code[-4:] for code, _amount in reserved[order.pk]}))
        splits[order.pk] = PaymentSplit(
            method=method, card_cents=card, gift_card_cents=gift, codes=codes
        )
    return splits


def giftcard_problem(card: GiftCard | None, *, currency: str, now=None) -> str:
    """Why a card cannot pay now ("" when it can): the one list of reasons."""
    now = now or timezone.now()
    if card is None:
        return _("This gift card code is not valid.")
    if card.status != GiftCardStatus.ACTIVE:
        return _("This gift card cannot be used.")
    if card.expires_at <= now:
        return _("This gift card has expired.")
    if card.currency != currency:
        return _("This gift card is in another currency.")
    if card.balance_cents <= 0:
        return _("This gift card has nothing left on it.")
    return ""


@dataclass(frozen=True)
class GiftQuote:
    """What a code would pay of a total: shown on the booking form before paying."""

    card: GiftCard | None
    total_cents: int
    used_cents: int = 0
    error: str = ""

    @property
    def remaining_cents(self) -> int:
        return self.total_cents - self.used_cents

    @property
    def balance_after_cents(self) -> int:
        return (self.card.balance_cents if self.card else 0) - self.used_cents


def giftcard_quote(*, code: str, total_cents: int, currency: str) -> GiftQuote:
    card = giftcard_by_code(code)
    problem = giftcard_problem(card, currency=currency)
    if problem:
        return GiftQuote(card=None, total_cents=total_cents, error=problem)
    return GiftQuote(
        card=card, total_cents=total_cents, used_cents=min(card.balance_cents, total_cents)
    )


def gift_card_made_from(order):
    """The gift card a cancelled booking was turned into, if any."""
    return GiftCard.objects.filter(from_order_id=order.pk).first()
