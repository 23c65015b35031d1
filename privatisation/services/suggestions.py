"""'Suggest a date': a customer's wish for a new public date, turned into a slot in one click."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bookings.models import Artisan, Workshop
from bookings.services import BookingError
from bookings.services.slots import slot_create_series
from notifications.services import notification_enqueue
from notifications.states import Channel

from ..models import DateSuggestion
from ..selectors import availability
from ..states import SUGGESTION_TRANSITIONS, SuggestionStatus
from ._common import MAX_AHEAD, now_utc
from .errors import PrivatisationError, RequestNotFound, SlotUnavailable, WrongState

T = "privatisation/emails/"


def date_suggestion_submit(
    *,
    workshop_id: int,
    starts_at: datetime,
    name: str,
    email: str,
    message: str,
    language: str,
    now=None,
) -> DateSuggestion:
    """A customer's suggestion, and the artisan's email. The same suggestion again (same email,
    workshop and time: a double click, a resubmission) gives back the first one, emailed once."""
    now = now or now_utc()
    email = email.strip().lower()
    with transaction.atomic():
        workshop = (
            Workshop.objects.select_for_update(of=("self",))  # serialise identical suggestions
            .select_related("artisan__user")
            .filter(pk=workshop_id, is_published=True)
            .first()
        )
        if workshop is None:
            raise PrivatisationError(_("This workshop is not open for suggestions."))
        if starts_at <= now:
            raise PrivatisationError(_("Suggest a date in the future."), field="starts_at")
        if starts_at > now + MAX_AHEAD:
            raise PrivatisationError(
                _("Suggest a date within the next two years."), field="starts_at"
            )
        same = DateSuggestion.objects.filter(
            workshop=workshop, email=email, starts_at=starts_at
        ).first()
        if same is not None:
            return same
        suggestion = DateSuggestion.objects.create(
            workshop=workshop,
            starts_at=starts_at,
            contact_name=name.strip(),
            email=email,
            message=message.strip(),
            language=language,
        )
        artisan = workshop.artisan
        notification_enqueue(
            channel=Channel.EMAIL,
            recipient=artisan.email,
            template=f"{T}artisan_date_suggested",
            context={"suggestion": suggestion, "workshop": workshop, "site_url": settings.SITE_URL},
            language=artisan.language,
            key=f"suggestion:{suggestion.pk}:new:artisan:email",
        )
    return suggestion


def _lock(artisan, suggestion_id) -> DateSuggestion:
    suggestion = (
        DateSuggestion.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .filter(pk=suggestion_id, workshop__artisan=artisan)
        .first()
    )
    if suggestion is None:
        raise RequestNotFound(_("This suggestion does not exist."))
    return suggestion


def date_suggestion_accept(*, artisan, suggestion_id: int, now=None) -> DateSuggestion:
    """Create the public slot the customer suggested (one click) and tell them."""
    now = now or now_utc()
    with transaction.atomic():
        Artisan.objects.select_for_update().filter(
            pk=artisan.pk
        ).first()  # serialise calendar writes
        suggestion = _lock(artisan, suggestion_id)
        if suggestion.status == SuggestionStatus.ACCEPTED:
            return suggestion
        if SuggestionStatus.ACCEPTED not in SUGGESTION_TRANSITIONS[suggestion.status]:
            raise WrongState(_("This suggestion was already declined."))
        workshop = suggestion.workshop
        if suggestion.starts_at <= now:
            raise PrivatisationError(_("This date has passed."))
        ends_at = suggestion.starts_at + timedelta(minutes=workshop.duration_minutes)
        (mark,) = availability(artisan.pk, [(suggestion.starts_at, ends_at)])
        if mark.removable or mark.blocking:
            raise SlotUnavailable(_("You already have a slot at that time on your calendar."))
        try:
            (slot,) = slot_create_series(
                artisan=artisan,
                workshop_id=workshop.pk,
                starts_at=suggestion.starts_at,
                ends_at=ends_at,
                capacity=workshop.default_capacity,
            )
        except BookingError as exc:
            raise PrivatisationError(exc.message) from None
        suggestion.status = SuggestionStatus.ACCEPTED
        suggestion.slot = slot
        suggestion.decided_at = now
        suggestion.save(update_fields=["status", "slot", "decided_at"])
        notification_enqueue(
            channel=Channel.EMAIL,
            recipient=suggestion.email,
            template=f"{T}customer_date_accepted",
            context={"suggestion": suggestion, "workshop": workshop, "site_url": settings.SITE_URL},
            language=suggestion.language,
            key=f"suggestion:{suggestion.pk}:accepted:customer:email",
        )
    return suggestion


def date_suggestion_decline(*, artisan, suggestion_id: int, now=None) -> DateSuggestion:
    now = now or now_utc()
    with transaction.atomic():
        suggestion = _lock(artisan, suggestion_id)
        if suggestion.status == SuggestionStatus.DECLINED:
            return suggestion
        if SuggestionStatus.DECLINED not in SUGGESTION_TRANSITIONS[suggestion.status]:
            raise WrongState(_("This suggestion is already on your calendar."))
        suggestion.status = SuggestionStatus.DECLINED
        suggestion.decided_at = now
        suggestion.save(update_fields=["status", "decided_at"])
    return suggestion
