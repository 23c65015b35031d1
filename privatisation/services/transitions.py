"""The one way a request's status changes: checked against REQUEST_TRANSITIONS, with a history row."""

from django.utils.translation import gettext as _

from bookings.states import SYSTEM, Actor

from ..models import PrivatisationRequest, RequestStatusChange
from ..states import REQUEST_TRANSITIONS, can_move
from .errors import WrongState


def _check(current, target) -> None:
    if not can_move(current, target):
        raise WrongState(
            _("This request cannot go from “%(from)s” to “%(to)s”.")
            % {"from": current, "to": target}
        )


def request_move(
    request, to: str, *, actor: Actor = SYSTEM, message: str = "", fields=()
) -> PrivatisationRequest:
    """Move a locked request to `to`, save `status` and `fields`, write the history row."""
    _check(request.status, to)
    before = request.status
    request.status = to
    request.save(update_fields=list(dict.fromkeys(["status", *fields])))
    RequestStatusChange.objects.create(
        request=request,
        from_status=before,
        to_status=to,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        message=message,
    )
    return request


def requests_move(requests, to: str, *, actor: Actor = SYSTEM, message: str = "", **values) -> None:
    """Move many locked requests to `to` in one update (plus `values`), their history in one insert."""
    if not requests:
        return
    for request in requests:
        _check(request.status, to)
    sources = [current for current, targets in REQUEST_TRANSITIONS.items() if to in targets]
    PrivatisationRequest.objects.filter(pk__in=[r.pk for r in requests], status__in=sources).update(
        status=to, **values
    )
    RequestStatusChange.objects.bulk_create(
        RequestStatusChange(
            request_id=r.pk,
            from_status=r.status,
            to_status=to,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            message=message,
        )
        for r in requests
    )
    for request in requests:
        request.status = to
        for name, value in values.items():
            setattr(request, name, value)


def request_record_created(request, *, actor: Actor) -> None:
    """The first row of a new request's history."""
    RequestStatusChange.objects.create(
        request=request,
        from_status="",
        to_status=request.status,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
    )
