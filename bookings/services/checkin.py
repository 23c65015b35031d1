"""Checking tickets in at the door: one scan, one answer; two phones scanning the same ticket, one
check-in.

The artisan scans (or types) a ticket's code on a slot's check-in page; an order's number works
too (it admits that order's next ticket). The code is looked up among the artisan's own tickets
only: another artisan's ticket is "unknown", exactly like a code that does not exist. The order is
locked (its status is re-read under the lock, so a cancel racing the scan is seen), then the
ticket is stamped with a conditional update (`checked_in_at IS NULL`): of two phones scanning at
once, one checks the ticket in, the other hears "already checked in".
"""

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Artisan, Order, Slot, Ticket, ticket_code_key
from ..states import OrderStatus
from .errors import BookingError
from .transitions import for_update, order_lock

# Longer than any code we print (22 characters), shorter than anything worth a query.
CODE_KEY_MAX = 64
# Orders whose tickets no longer admit anyone.
ENDED = (
    OrderStatus.CANCELLED,
    OrderStatus.REFUSED,
    OrderStatus.EXPIRED,
    OrderStatus.PAYMENT_FAILED,
)
_IGNORED = re.compile(r"[\s\-\u2010-\u2015]")  # spaces and every kind of dash
_URL_CODE_PARAMS = ("code", "ticket", "t")


class CheckInOutcome(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"
    OTHER_DATE = "other_date"
    PENDING = "pending"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


# How the door shows each answer: green (come in), amber (look again), red (no).
TONES = {
    CheckInOutcome.CHECKED_IN: "valid",
    CheckInOutcome.ALREADY: "warning",
    CheckInOutcome.OTHER_DATE: "warning",
    CheckInOutcome.PENDING: "warning",
    CheckInOutcome.CANCELLED: "refused",
    CheckInOutcome.UNKNOWN: "refused",
}


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckInOutcome
    ticket: Ticket | None = None
    # Its order (locked and re-read), with `order.slot.workshop`: the date of OTHER_DATE.
    order: Order | None = None

    @property
    def tone(self) -> str:
        return TONES[self.outcome]

    @property
    def checked_in_at(self) -> datetime | None:
        """When the ticket was checked in (now, or the first time for ALREADY)."""
        return self.ticket.checked_in_at if self.ticket else None


def ticket_code_normalise(raw: str) -> str:
    """The code as typed or scanned, in the form `ticket_code_key` compares: trimmed, lower case,
    without spaces or dashes; a URL gives its `code` parameter or its last path segment."""
    text = unicodedata.normalize("NFKC", raw or "").strip()  # a full-width keyboard's letters too
    if "/" in text or "?" in text:
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        found = next((query[name][0] for name in _URL_CODE_PARAMS if query.get(name)), None)
        segments = [s for s in parts.path.split("/") if s]
        text = found or (segments[-1] if segments else "")
    return _IGNORED.sub("", text).lower()


def _find(artisan: Artisan, key: str, slot_id: int) -> tuple[int | None, Ticket | None]:
    """(order id, ticket) of the artisan's ticket with this key (the slot's own first, should two
    ever fold alike); else (order id, None) of the artisan's order with this number."""
    tickets = (
        Ticket.objects.alias(key=ticket_code_key())
        .filter(key=key, order__slot__workshop__artisan=artisan)
        .select_related("order")
        .order_by("pk")
    )
    found = list(tickets[:5])
    ticket = next((t for t in found if t.order.slot_id == slot_id), found[0] if found else None)
    if ticket is not None:
        return ticket.order_id, ticket
    order_id = (
        Order.objects.filter(reference__iexact=key, slot__workshop__artisan=artisan)
        .values_list("pk", flat=True)
        .first()
    )
    return order_id, None


def _next_ticket(order: Order) -> Ticket | None:
    """An order number typed at the door admits its next ticket (the last one when all are in)."""
    tickets = order.tickets.order_by("checked_in_at", "pk")
    return tickets.filter(checked_in_at__isnull=True).first() or tickets.last()


def ticket_check_in(*, artisan: Artisan, slot_id: int, code: str, now=None) -> CheckInResult:
    """Check in a ticket (its code, or its order's number) on one of the artisan's slots, and say
    what the door should do."""
    now = now or timezone.now()
    if not Slot.objects.filter(pk=slot_id, workshop__artisan=artisan).exists():
        raise BookingError(_("This slot is not one of yours."))
    key = ticket_code_normalise(code)
    if not key or len(key) > CODE_KEY_MAX:
        return CheckInResult(CheckInOutcome.UNKNOWN)
    with transaction.atomic():
        order_id, ticket = _find(artisan, key, slot_id)
        if order_id is None:
            return CheckInResult(CheckInOutcome.UNKNOWN)
        order = order_lock(order_id, slot=False)  # a cancel racing the scan is seen
        if order.status in ENDED:
            return CheckInResult(CheckInOutcome.CANCELLED, ticket, order=order)
        if order.status != OrderStatus.CONFIRMED:
            return CheckInResult(CheckInOutcome.PENDING, ticket, order=order)
        if order.slot_id != slot_id:
            return CheckInResult(CheckInOutcome.OTHER_DATE, ticket, order=order)
        ticket = ticket or _next_ticket(order)
        if ticket is None:  # a confirmed order always has its tickets; never trust it blindly
            return CheckInResult(CheckInOutcome.UNKNOWN)
        stamped = Ticket.objects.filter(pk=ticket.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, checked_in_by_id=artisan.user_id
        )
        ticket.refresh_from_db(fields=["checked_in_at", "checked_in_by"])
    outcome = CheckInOutcome.CHECKED_IN if stamped else CheckInOutcome.ALREADY
    return CheckInResult(outcome, ticket, order=order)


def ticket_check_in_undo(*, artisan: Artisan, slot_id: int, ticket_id: int) -> Ticket:
    """Clear the check-in of one of the slot's tickets (the door's "not arrived after all")."""
    with transaction.atomic():
        ticket = for_update(
            Ticket.objects.filter(
                pk=ticket_id, order__slot_id=slot_id, order__slot__workshop__artisan=artisan
            ).select_related("order")
        ).first()
        if ticket is None:
            raise BookingError(_("This ticket is not on this slot."))
        if ticket.checked_in_at is not None:
            ticket.checked_in_at = None
            ticket.checked_in_by = None
            ticket.save(update_fields=["checked_in_at", "checked_in_by"])
    return ticket
