"""Statuses of a privatisation request (and of a date suggestion) and the moves allowed.

Services are the only code that changes a status; they check each move against these tables.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class RequestStatus(models.TextChoices):
    # Waiting for the artisan's answer (until respond_by).
    PENDING = "pending", _("To answer")
    # The artisan accepted/offered slots: waiting for the customer to choose and pay (until pay_by).
    ANSWERED = "answered", _("Waiting for the customer")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


REQUEST_TRANSITIONS = {
    RequestStatus.PENDING: {
        RequestStatus.ANSWERED,
        RequestStatus.REFUSED,
        RequestStatus.WITHDRAWN,
        RequestStatus.EXPIRED,
    },
    RequestStatus.ANSWERED: {RequestStatus.CONFIRMED, RequestStatus.EXPIRED},
    RequestStatus.CONFIRMED: set(),
    RequestStatus.REFUSED: set(),
    RequestStatus.WITHDRAWN: set(),
    RequestStatus.EXPIRED: set(),
}

# Requests still in progress: each has a deadline (respond_by or pay_by).
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.ANSWERED)


def can_move(current, target) -> bool:
    return target in REQUEST_TRANSITIONS.get(current, set())


class MessageAuthor(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ARTISAN = "artisan", _("Artisan")


class SuggestionStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Turned into a public slot")
    DECLINED = "declined", _("Declined")


SUGGESTION_TRANSITIONS = {
    SuggestionStatus.NEW: {SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED},
    SuggestionStatus.ACCEPTED: set(),
    SuggestionStatus.DECLINED: set(),
}
