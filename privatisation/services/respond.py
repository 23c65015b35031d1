"""The artisan's answer: accept proposed slots and/or offer others (held on the calendar at
once as private slots), or refuse — with a message in every case. Companies get a quote."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from bookings.models import Artisan
from bookings.services.private_slots import slot_hold_private, slots_remove_empty
from bookings.states import Actor, ActorKind

from ..models import Offer
from ..selectors import calendar_slots_overlapping, classify
from ..states import MessageAuthor, RequestStatus
from . import notify
from ._common import add_message, ensure_open, lock_request, now_utc, pay_window
from .errors import PrivatisationError, SlotUnavailable
from .quotes import quote_attachments, quote_create
from .transitions import request_move

MAX_OFFERS = 10


@dataclass(frozen=True)
class QuoteInput:
    amount_cents: int
    valid_until: datetime
    note: str = ""


def _fmt(dt, tz) -> str:
    return dt.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def privatisation_request_refuse(*, artisan, request_id: int, message: str, now=None):
    now = now or now_utc()
    if not message.strip():
        raise PrivatisationError(_("Write a message to the customer."), field="message")
    with transaction.atomic():
        request = lock_request(pk=request_id, workshop__artisan=artisan)
        if request.status == RequestStatus.REFUSED:
            return request
        ensure_open(request, RequestStatus.PENDING, now)
        request.answered_at = request.closed_at = now
        request_move(
            request,
            RequestStatus.REFUSED,
            actor=Actor(ActorKind.ARTISAN, artisan.user_id),
            message=message.strip(),
            fields=["answered_at", "closed_at"],
        )
        add_message(request, MessageAuthor.ARTISAN, message, now)
        notify.to_customer(request, "refused", sms=True, answer=message.strip())
    return request


def _answer_items(request, accept_proposed_ids, offer_starts, *, duration, now):
    """(start, end, proposal or None) of every slot the answer holds, in time order; refuses an
    unknown proposal, none or too many, a time in the past, two that overlap."""
    tz = request.workshop.tzinfo
    proposed = {p.pk: p for p in request.proposed_slots.all()}
    accepted = []
    for pk in dict.fromkeys(accept_proposed_ids):
        if pk not in proposed:
            raise PrivatisationError(_("This proposed slot is not part of the request."))
        accepted.append(proposed[pk])
    items = [(p.starts_at, p.ends_at, p) for p in accepted] + [
        (s, s + duration, None) for s in offer_starts
    ]
    if not items:
        raise PrivatisationError(
            _("Accept at least one proposed slot or offer one of yours — or refuse.")
        )
    if len(items) > MAX_OFFERS:
        raise PrivatisationError(_("Offer at most 10 slots."))
    items.sort(key=lambda item: item[0])
    for start, _end, _p in items:
        if start <= now:
            raise PrivatisationError(
                _("The slot of %(date)s is in the past.") % {"date": _fmt(start, tz)}
            )
    for (_s1, e1, _a), (s2, _e2, _b) in zip(items, items[1:], strict=False):
        if s2 < e1:
            raise PrivatisationError(
                _("Two of the slots you offer overlap (%(date)s).") % {"date": _fmt(s2, tz)}
            )
    return items


def _check_quote(quote, now) -> None:
    """A company request is answered with a quote: a positive amount, valid in the future."""
    if quote is None:
        raise PrivatisationError(
            _("A company request is answered with a quote."), field="quote_amount"
        )
    if quote.amount_cents < 1:
        raise PrivatisationError(_("The quote amount must be positive."), field="quote_amount")
    if quote.valid_until <= now:
        raise PrivatisationError(
            _("The quote must be valid in the future."), field="quote_valid_until"
        )


def privatisation_request_respond(
    *,
    artisan,
    request_id: int,
    accept_proposed_ids: list[int],
    offer_starts: list[datetime],
    message: str,
    quote: QuoteInput | None = None,
    now=None,
):
    """Accept some proposed slots and/or offer others; each becomes a private held slot."""
    now = now or now_utc()
    if not message.strip():
        raise PrivatisationError(_("Write a message to the customer."), field="message")
    with transaction.atomic():
        # The artisan row is the lock on their calendar: two answers never book the same time.
        Artisan.objects.select_for_update().filter(pk=artisan.pk).first()
        request = lock_request(pk=request_id, workshop__artisan=artisan)
        if request.status == RequestStatus.ANSWERED:
            return request
        ensure_open(request, RequestStatus.PENDING, now)
        workshop = request.workshop
        tz = workshop.tzinfo
        duration = timedelta(minutes=workshop.duration_minutes)

        items = _answer_items(
            request, accept_proposed_ids, offer_starts, duration=duration, now=now
        )
        quote_row = None
        if request.is_company:
            _check_quote(quote, now)

        # Lock the calendar around every time, in primary-key order, and re-check it.
        intervals = [(s, e) for s, e, _p in items]
        slots = list(
            calendar_slots_overlapping(artisan.pk, intervals).select_for_update(of=("self",))
        )
        marks = classify(intervals, slots)
        for mark in marks:
            if mark.blocking:
                raise SlotUnavailable(
                    _("%(date)s is no longer free: %(reason)s.")
                    % {"date": _fmt(mark.starts_at, tz), "reason": "; ".join(mark.reasons)}
                )
        # Make room: overlapping empty public slots leave the calendar.
        removed_ids = sorted({slot.pk for mark in marks for slot in mark.removable})
        actor = Actor(ActorKind.ARTISAN, artisan.user_id)
        if removed_ids:
            slots_remove_empty(
                slot_ids=removed_ids,
                message=_("Removed to make room for a private session."),
                actor=actor,
                now=now,
            )
        for start, end, proposal in items:
            slot = slot_hold_private(
                workshop=workshop,
                starts_at=start,
                ends_at=end,
                capacity=request.participants,
                actor=actor,
            )
            Offer.objects.create(request=request, slot=slot, proposed=proposal)

        if request.is_company:
            # quote.amount_cents is before tax; the quote adds the artisan's VAT and numbers itself.
            quote_row = quote_create(
                request=request,
                net_cents=quote.amount_cents,
                valid_until=quote.valid_until,
                note=quote.note,
                now=now,
            )
            pay_by = quote.valid_until
        else:
            pay_by = now + pay_window(False)
        request.answered_at = now
        request.pay_by = pay_by
        request.reminder_sent_at = None
        request_move(
            request,
            RequestStatus.ANSWERED,
            actor=actor,
            message=message.strip(),
            fields=["answered_at", "pay_by", "reminder_sent_at"],
        )
        add_message(request, MessageAuthor.ARTISAN, message, now)
        notify.to_customer(
            request,
            "answered",
            sms=True,
            answer=message.strip(),
            quote=quote_row,
            attachments=quote_attachments(quote_row, request.language) if quote_row else (),
        )
    return request
