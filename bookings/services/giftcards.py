"""Gift cards: the ledger and every move of it.

A card's balance is the sum of its `GiftCardEntry` rows (signed amounts). Each move locks the
card row (`select_for_update`), re-checks the card's state and expiry under the lock, appends
one entry per idempotency key and adds its amount to `balance_cents` in the same transaction;
the database refuses a negative balance (CheckConstraint), so no concurrency spends more than
the card holds.

An order paid (partly) by gift card: the amount is RESERVED when the order is placed, the
reservation is turned into a USE when the order is confirmed (`giftcard_consume`: a release
and a use, so the ledger says both), RELEASED when the order ends unconfirmed, and a used
amount goes back to the card (REFUND) when a confirmed order is cancelled: never to cash.
`giftcard_order_closed` is the one call every closing path makes.

Lock order: slot, order (as everywhere), then gift cards by primary key.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from notifications.services import notification_enqueue
from notifications.states import Channel

from ..hooks import order_hooks
from ..localtime import site_today
from ..models import GiftCard, GiftCardEntry, GiftCardStatusChange, Order
from ..selectors.giftcards import (
    CONSUMED_SUFFIX,
    giftcard_problem,
    giftcard_url,
    order_giftcard_cents,
)
from ..states import (
    GIFT_CARD_TRANSITIONS,
    SYSTEM,
    Actor,
    GiftCardEntryKind,
    GiftCardSource,
    GiftCardStatus,
    OrderStatus,
    PaymentEventKind,
    can_move,
)
from ..templatetags.atelier import format_money
from .errors import BookingError
from .ledger import ledger_key, payment_event_record
from .transitions import for_update, order_lock, order_move, seats_release

Kind = GiftCardEntryKind


def gift_code_normalise(raw: str) -> str:
    """What a person typed → the stored code: any case, with or without dashes or spaces."""
    return re.sub(r"[^0-9A-Z]", "", (raw or "").upper())[:32]


def giftcard_key(card_id: int, action: str, *suffix) -> str:
    """`giftcard:<id>:<action>[:<suffix>…]` — the idempotency key of a ledger row (built here only)."""
    return ":".join(["giftcard", str(card_id), action, *(str(s) for s in suffix)])


# --- the ledger ---------------------------------------------------------------------------------


def _lock(card_id: int) -> GiftCard:
    return for_update(GiftCard.objects.filter(pk=card_id)).get()


def _entry(
    card: GiftCard, kind: str, amount: int, *, key: str, order=None, message: str = ""
) -> GiftCardEntry | None:
    """Append one entry (once per key) to a card locked by the caller and move its balance.

    Returns None when the key was written before (nothing changes)."""
    if GiftCardEntry.objects.filter(idempotency_key=key).exists():
        return None
    entry = GiftCardEntry.objects.create(
        gift_card=card,
        kind=kind,
        amount_cents=amount,
        order=order,
        idempotency_key=key,
        message=message[:255],
    )
    GiftCard.objects.filter(pk=card.pk).update(balance_cents=F("balance_cents") + amount)
    card.balance_cents += amount
    return entry


def _move(card: GiftCard, to: str, *, actor: Actor, message: str = "", fields=()) -> None:
    """Move a locked card to `to` (the table in states.py), save, write the history row."""
    if not can_move(GIFT_CARD_TRANSITIONS, card.status, to):
        raise BookingError(_("This gift card cannot be changed in its current state."))
    before = card.status
    card.status = to
    card.save(update_fields=list(dict.fromkeys(["status", *fields])))
    GiftCardStatusChange.objects.create(
        gift_card=card,
        from_status=before,
        to_status=to,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        message=message,
    )


def _usable(card: GiftCard | None, *, currency: str, now) -> GiftCard:
    problem = giftcard_problem(card, currency=currency, now=now)
    if problem:
        raise BookingError(problem, field="gift_code")
    return card


# --- issue --------------------------------------------------------------------------------------


def _new_card(**fields) -> GiftCard:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return GiftCard.objects.create(**fields)
        except IntegrityError:  # a code collision: draw again
            fields.pop("code", None)
            continue
    raise BookingError(_("Please try again."))  # pragma: no cover - 23^12 codes


def giftcard_create(
    *,
    amount_cents: int,
    buyer_name: str,
    buyer_email: str,
    recipient_name: str = "",
    recipient_email: str = "",
    message: str = "",
    send_on=None,
    language: str = "en",
    currency: str | None = None,
    source: str = GiftCardSource.PURCHASE,
    from_order: Order | None = None,
    now=None,
) -> GiftCard:
    """A new card awaiting its buyer's payment (no balance yet): `giftcard_issue` activates it."""
    now = now or timezone.now()
    if not settings.GIFT_CARD_MIN_CENTS <= amount_cents <= settings.GIFT_CARD_MAX_CENTS and (
        source == GiftCardSource.PURCHASE
    ):
        raise BookingError(_("This amount is not possible."), field="amount")
    if amount_cents < 1:
        raise BookingError(_("This amount is not possible."), field="amount")
    return _new_card(
        amount_cents=amount_cents,
        currency=currency or settings.GIFT_CARD_CURRENCY,
        expires_at=now + timedelta(days=settings.GIFT_CARD_VALIDITY_DAYS),
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        message=message,
        send_on=send_on or site_today(now),
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        source=source,
        from_order=from_order,
    )


def giftcard_issue(*, gift_card_id: int, actor: Actor = SYSTEM, message: str = "") -> GiftCard:
    """Make a card usable: its value enters the ledger (once), status active, the validity
    counts from now. Idempotent."""
    with transaction.atomic():
        card = _lock(gift_card_id)
        if card.status == GiftCardStatus.ACTIVE:
            return card
        now = timezone.now()
        card.paid_at = now
        card.expires_at = now + timedelta(days=settings.GIFT_CARD_VALIDITY_DAYS)
        _move(
            card,
            GiftCardStatus.ACTIVE,
            actor=actor,
            message=message,
            fields=["paid_at", "expires_at"],
        )
        _entry(card, Kind.ISSUE, card.amount_cents, key=giftcard_key(card.pk, "issue"))
        if card.send_on and card.send_on <= site_today(now):
            giftcard_deliver(card)
    return card


def giftcard_deliver(card: GiftCard) -> None:
    """Inside the caller's transaction, the card locked: the card's email (once), stamped sent.

    To the recipient, or to the buyer when the card is for them to print."""
    context = {
        "card": card,
        "card_url": giftcard_url(card),
        "balance_url": settings.SITE_URL + reverse("storefront:giftcard_balance"),
        "site_url": settings.SITE_URL,
    }
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=card.recipient_email or card.buyer_email,
        template="bookings/emails/giftcard_delivery",
        context=context,
        language=card.language,
        key=f"giftcard:{card.pk}:delivery:email",
    )
    card.sent_at = timezone.now()
    card.save(update_fields=["sent_at"])


def giftcards_send_due(*, now=None, limit: int = 200) -> int:
    """The beat sweep: active cards whose send day has come and that were not sent, in batches;
    each goes once (stamped under its lock). Returns how many were sent."""
    now = now or timezone.now()
    today = site_today(now)
    sent = 0
    while True:
        with transaction.atomic():
            cards = list(
                for_update(
                    GiftCard.objects.filter(
                        status=GiftCardStatus.ACTIVE, sent_at__isnull=True, send_on__lte=today
                    ).order_by("pk")[:limit],
                    skip_locked=True,
                )
            )
            for card in cards:
                giftcard_deliver(card)
        sent += len(cards)
        if len(cards) < limit:
            return sent


# --- redeem -------------------------------------------------------------------------------------


def giftcard_reserve(*, order: Order, code: str, amount_cents: int, now=None) -> int:
    """Inside the caller's transaction (the order's placement): hold up to `amount_cents` of the
    card for the order (never more than the order's total). Returns the amount reserved.

    `amount_cents` is what the customer was shown; if the card holds less now (another checkout
    spent it meanwhile), nothing is reserved and the error says what is left."""
    now = now or timezone.now()
    card = GiftCard.objects.filter(code=gift_code_normalise(code)).first()
    card = _usable(card and _lock(card.pk), currency=order.currency, now=now)
    amount = min(amount_cents, order.total_cents)
    if amount < 1:
        return 0
    if card.balance_cents < amount:
        raise BookingError(
            _(
                "This gift card now has %(left)s left (it was used meanwhile). "
                "Please check the amount and book again."
            )
            % {"left": format_money(card.balance_cents, card.currency)},
            field="gift_code",
        )
    _entry(
        card,
        Kind.RESERVE,
        -amount,
        key=giftcard_key(card.pk, "reserve", order.pk),
        order=order,
        message=order.reference,
    )
    return amount


def _order_entries(order_id: int) -> dict[int, dict[str, int]]:
    """{card id: {kind: total}} of an order's entries."""
    rows = (
        GiftCardEntry.objects.filter(order_id=order_id)
        .values_list("gift_card_id", "kind")
        .annotate(total=Sum("amount_cents"))
        .order_by("gift_card_id")
    )
    out: dict[int, dict[str, int]] = {}
    for card_id, kind, total in rows:
        out.setdefault(card_id, {})[kind] = total
    return out


def _open_reservation(kinds: dict[str, int]) -> int:
    """What is still reserved (not released nor used) on a card for an order."""
    return -(kinds.get(Kind.RESERVE, 0) + kinds.get(Kind.RELEASE, 0) - kinds.get(Kind.USE, 0))


def giftcard_consume(order: Order) -> int:
    """Inside the caller's transaction (the order confirmed): its reservations become uses.
    Idempotent; returns the amount used now."""
    used = 0
    for card_id, kinds in _order_entries(order.pk).items():
        held = _open_reservation(kinds)
        if held <= 0:
            continue
        card = _lock(card_id)
        key = giftcard_key(card_id, "use", order.pk)
        _entry(
            card,
            Kind.RELEASE,
            held,
            key=f"{key}{CONSUMED_SUFFIX}",
            order=order,
            message=order.reference,
        )
        _entry(card, Kind.USE, -held, key=key, order=order, message=order.reference)
        used += held
    return used


def giftcard_release(order: Order) -> int:
    """Inside the caller's transaction (the order ended unconfirmed): reservations go back."""
    released = 0
    for card_id, kinds in _order_entries(order.pk).items():
        held = _open_reservation(kinds)
        if held <= 0:
            continue
        card = _lock(card_id)
        key = giftcard_key(card_id, "release", order.pk)
        _entry(card, Kind.RELEASE, held, key=key, order=order, message=order.reference)
        _void_if_cancelled(card, held, key=key)
        released += held
    return released


def giftcard_refund_to_card(order: Order) -> int:
    """Inside the caller's transaction (a confirmed order cancelled or refunded): what the order
    used goes back to the gift card, never to cash. Idempotent; returns the amount refunded."""
    if GiftCard.objects.filter(from_order_id=order.pk).exists():
        return 0  # the whole order became a new card (`giftcard_issue_for_order`)
    refunded = 0
    for card_id, kinds in _order_entries(order.pk).items():
        used = -kinds.get(Kind.USE, 0) - kinds.get(Kind.REFUND, 0)
        if used <= 0:
            continue
        card = _lock(card_id)
        key = giftcard_key(card_id, "refund", order.pk)
        _entry(card, Kind.REFUND, used, key=key, order=order, message=order.reference)
        _void_if_cancelled(card, used, key=key)
        refunded += used
    return refunded


def _void_if_cancelled(card: GiftCard, amount: int, *, key: str) -> None:
    """What comes back to a cancelled card leaves it again (a cancelled card holds nothing)."""
    if card.status == GiftCardStatus.CANCELLED and amount > 0:
        _entry(card, Kind.CANCEL, -amount, key=f"{key}:cancelled")


def giftcard_order_closed(order: Order) -> None:
    """Every path that ends an order calls this in its transaction (next to `order_hooks.closed`):
    reservations are released, uses refunded to the card."""
    giftcard_release(order)
    giftcard_refund_to_card(order)


# --- ops ----------------------------------------------------------------------------------------


def giftcard_cancel(*, gift_card_id: int, actor: Actor, message: str = "") -> GiftCard:
    """Cancel a card: what is left leaves the ledger (CANCEL entry), history row. Idempotent."""
    with transaction.atomic():
        card = _lock(gift_card_id)
        if card.status == GiftCardStatus.CANCELLED:
            return card
        _move(card, GiftCardStatus.CANCELLED, actor=actor, message=message)
        if card.balance_cents > 0:
            _entry(
                card,
                Kind.CANCEL,
                -card.balance_cents,
                key=giftcard_key(card.pk, "cancel"),
                message=message,
            )
    return card


def giftcard_extend(*, gift_card_id: int, until, actor: Actor, message: str = "") -> GiftCard:
    """Extend a card's validity to `until` (later than now and than its current expiry)."""
    with transaction.atomic():
        card = _lock(gift_card_id)
        if card.status != GiftCardStatus.ACTIVE:
            raise BookingError(_("Only an active gift card can be extended."))
        if until <= max(card.expires_at, timezone.now()):
            raise BookingError(_("The new date must be later than the current expiry."))
        card.expires_at = until
        note = message or _("validity extended to %(date)s") % {"date": until.date().isoformat()}
        _move(card, GiftCardStatus.ACTIVE, actor=actor, message=note, fields=["expires_at"])
    return card


def giftcards_expire_overdue(*, now=None, limit: int = 500) -> int:
    """The beat sweep: what is left on expired cards leaves the ledger (EXPIRE entry).

    A card is treated as expired everywhere from `expires_at` on; this makes it official."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        cards = for_update(
            GiftCard.objects.filter(
                status=GiftCardStatus.ACTIVE, expires_at__lte=now, balance_cents__gt=0
            ).order_by("pk")[:limit],
            skip_locked=True,
        )
        for card in cards:
            n = card.entries.count()
            _entry(card, Kind.EXPIRE, -card.balance_cents, key=giftcard_key(card.pk, "expire", n))
            done += 1
    return done


# --- a cancelled booking turned into a gift card ------------------------------------------------


def giftcard_issue_for_order(*, order_id: int, actor: Actor) -> GiftCard:
    """Cancel a confirmed order and give its whole value (card and gift-card parts) back as a new
    gift card valid one year, instead of a refund. Idempotent: the same card the second time.

    The card payment is recorded as given back ("refunded" to gift card) so no cash refund is
    ever made for it; the gift card the order used gets nothing back (it is in the new card).
    """
    with transaction.atomic():
        order = order_lock(order_id)
        existing = GiftCard.objects.filter(from_order_id=order.pk).first()
        if existing is not None:
            return existing
        if order.status not in (OrderStatus.CONFIRMED, OrderStatus.AWAITING_CHOICE):
            raise BookingError(_("Only a confirmed booking can be turned into a gift card."))
        if order.total_cents < 1:
            raise BookingError(_("This booking has no value to turn into a gift card."))
        with override(order.language):
            note = _("Booking %(reference)s turned into a gift card") % {
                "reference": order.reference
            }
        card = giftcard_create(
            amount_cents=order.total_cents,
            buyer_name=order.customer_name,
            buyer_email=order.customer_email,
            language=order.language,
            currency=order.currency,
            source=GiftCardSource.ORDER,
            from_order=order,
            message=note,
        )
        card_part = order.total_cents - order_giftcard_cents(order.pk)
        if card_part > 0 and order.payment_intent_id:
            payment_event_record(
                order,
                kind=PaymentEventKind.REFUNDED,
                key=ledger_key(order.pk, "refund"),  # the order's one refund: never in cash now
                amount_cents=card_part,
                provider="giftcard",
                provider_ref=card.code,
                detail=note,
            )
        order.closed_at = timezone.now()
        order.decision_message = note
        order.choose_by = None  # a customer of a cancelled date chose the gift card
        order_move(
            order,
            OrderStatus.CANCELLED,
            actor=actor,
            message=note,
            fields=["closed_at", "decision_message", "choose_by", *seats_release([order])],
        )
        order_hooks.closed(order)
        giftcard_issue(gift_card_id=card.pk, actor=actor, message=note)
    card.refresh_from_db()
    return card


def order_redeem_gift_card(*, order_id: int, code: str, now=None) -> int:
    """Let a gift card pay an order awaiting payment (the privatisation payment step): as much
    of the order as the card holds is reserved. Returns the amount the card pays.

    An order a gift card already pays part of keeps that card (one card an order)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise BookingError(_("This order can no longer be paid. Please book again."))
        already = order_giftcard_cents(order.pk)
        if already:
            return already
        card = GiftCard.objects.filter(code=gift_code_normalise(code)).first()
        card = _usable(card and _lock(card.pk), currency=order.currency, now=now)
        return giftcard_reserve(
            order=order, code=card.code, amount_cents=min(card.balance_cents, order.total_cents)
        )
