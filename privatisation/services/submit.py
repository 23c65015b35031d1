"""The customer's request and the lighter 'suggest a date'."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bookings.models import Workshop
from bookings.states import CUSTOMER

from ..models import PrivatisationRequest, ProposedSlot
from ..states import OPEN_STATUSES, MessageAuthor, RequestKind
from . import notify
from ._common import MAX_AHEAD, add_message, now_utc, respond_window
from .deadlines import expire_locked, lock_offer_slots
from .errors import PrivatisationError
from .pricing import private_price
from .transitions import request_record_created

MAX_PROPOSED = 10


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    language: str = "en"
    timezone: str = ""
    kind: str = RequestKind.INDIVIDUAL
    company_name: str = ""
    billing_details: str = ""


def check_proposed_starts(
    workshop, starts: list[datetime], *, now, earliest_delta
) -> list[tuple[datetime, datetime]]:
    """The rules on proposed slots (the form checks the same shape first)."""
    if not 1 <= len(starts) <= MAX_PROPOSED:
        raise PrivatisationError(_("Propose between 1 and 10 slots."), field="slots")
    if any(start > now + MAX_AHEAD for start in starts):
        raise PrivatisationError(_("Propose slots within the next two years."), field="slots")
    duration = timedelta(minutes=workshop.duration_minutes)
    intervals = sorted((s, s + duration) for s in starts)
    for start, _end in intervals:
        if start <= now:
            raise PrivatisationError(_("A proposed slot is in the past."), field="slots")
        if start < now + earliest_delta:
            raise PrivatisationError(
                _(
                    "A proposed slot is too soon: the artisan needs time to answer. Propose slots after %(date)s."
                )
                % {
                    "date": (now + earliest_delta)
                    .astimezone(workshop.tzinfo)
                    .strftime("%d/%m/%Y %H:%M")
                },
                field="slots",
            )
    for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
        if s2 < e1:
            raise PrivatisationError(
                _("Two proposed slots are identical or overlap."), field="slots"
            )
    return intervals


def privatisation_request_submit(
    *,
    workshop_id: int,
    contact: Contact,
    participants: int,
    starts: list[datetime],
    message: str,
    now=None,
) -> PrivatisationRequest:
    now = now or now_utc()
    with transaction.atomic():
        workshop = Workshop.objects.select_related("artisan__user").filter(pk=workshop_id).first()
        if workshop is None or not workshop.is_published or not workshop.privatisation_enabled:
            raise PrivatisationError(_("This workshop cannot be privatised."))
        if not 1 <= participants <= workshop.private_max_capacity:
            raise PrivatisationError(
                _("Choose between 1 and %(max)s participants.")
                % {"max": workshop.private_max_capacity},
                field="participants",
            )
        if not (contact.name.strip() and contact.email.strip() and contact.phone.strip()):
            raise PrivatisationError(_("Tell us your name, email and mobile phone."))
        is_company = contact.kind == RequestKind.COMPANY
        if is_company and not contact.company_name.strip():
            raise PrivatisationError(_("Tell us the company name."), field="company_name")
        if not message.strip():
            raise PrivatisationError(_("Write a message to the artisan."), field="message")
        window = respond_window(is_company)
        intervals = check_proposed_starts(workshop, starts, now=now, earliest_delta=window)

        # One request in progress per customer and workshop; an overdue one is expired first.
        open_requests = PrivatisationRequest.objects.filter(
            workshop=workshop, email__iexact=contact.email.strip(), status__in=OPEN_STATUSES
        )

        lock_offer_slots(open_requests)  # slots before requests: expiring one updates its slots
        existing = open_requests.select_for_update()
        for previous in existing:
            if previous.is_overdue(now):
                expire_locked([previous], now=now)
            else:
                raise PrivatisationError(
                    _(
                        "You already have a request in progress for this workshop: open the link in your email."
                    ),
                    field="email",
                )

        price = private_price(workshop, participants)
        try:
            with transaction.atomic():
                request = PrivatisationRequest.objects.create(
                    workshop=workshop,
                    kind=contact.kind,
                    company_name=contact.company_name.strip() if is_company else "",
                    billing_details=contact.billing_details.strip() if is_company else "",
                    contact_name=contact.name.strip(),
                    email=contact.email.strip().lower(),
                    phone=contact.phone.strip(),
                    language=contact.language,
                    customer_timezone=contact.timezone or workshop.timezone,
                    participants=participants,
                    message=message.strip(),
                    seat_price_cents=price.seat_price_cents,
                    billed_participants=price.billed_participants,
                    price_cents=price.total_cents,
                    currency=price.currency,
                    respond_by=now + window,
                )
        except IntegrityError:
            raise PrivatisationError(
                _(
                    "You already have a request in progress for this workshop: open the link in your email."
                ),
                field="email",
            ) from None
        request_record_created(request, actor=CUSTOMER)
        request.proposed_slots.bulk_create(
            [ProposedSlot(request=request, starts_at=s, ends_at=e) for s, e in intervals]
        )
        add_message(request, MessageAuthor.CUSTOMER, request.message, now)
        notify.to_customer(request, "submitted")
        notify.to_artisan(request, "new_request", sms=True)
    return request
