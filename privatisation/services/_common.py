from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Message, PrivatisationRequest
from .errors import DeadlinePassed, RequestNotFound, WrongState

# Proposed slots and suggested dates are for the next two years: further is a typo (or an attack on
# date arithmetic: year 9999 plus the workshop's duration overflows).
MAX_AHEAD = timedelta(days=2 * 365)


def now_utc():
    # Deadlines are UTC arithmetic: 72 hours are 72 real hours whatever the clocks do (DST).
    return timezone.now()


def respond_window(kind_is_company: bool) -> timedelta:
    hours = (
        settings.PRIVATISATION_COMPANY_RESPOND_HOURS
        if kind_is_company
        else settings.PRIVATISATION_RESPOND_HOURS
    )
    return timedelta(hours=hours)


def pay_window(kind_is_company: bool) -> timedelta:
    hours = (
        settings.PRIVATISATION_COMPANY_PAY_HOURS
        if kind_is_company
        else settings.PRIVATISATION_PAY_HOURS
    )
    return timedelta(hours=hours)


def lock_request(**lookup) -> PrivatisationRequest:
    request = (
        PrivatisationRequest.objects.select_for_update(of=("self",))
        .select_related("workshop", "workshop__artisan", "workshop__artisan__user")
        .filter(**lookup)
        .first()
    )
    if request is None:
        raise RequestNotFound()
    return request


def ensure_open(request, status, now) -> None:
    """Refuse unless the request is in `status` and before its deadline."""
    if request.status != status:
        raise WrongState()
    if request.is_overdue(now):
        raise DeadlinePassed()


def add_message(request, author, body, now=None) -> Message:
    return Message.objects.create(
        request=request, author=author, body=body.strip(), created_at=now or timezone.now()
    )
