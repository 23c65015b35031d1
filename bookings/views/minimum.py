"""The artisan's signed link from the "below the minimum" SMS/email: Uphold or Cancel one slot.

No sign-in: the link names this slot only, until its decision time. GET shows, POST acts
(then redirects to the same page, which shows the outcome). A tampered link is a 404; a link
past the decision time with no answer is "expired" (410).
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation

from ..models import Slot
from ..services.errors import BookingError
from ..services.minimum import (
    MINIMUM_SALT,
    confirmed_seats,
    minimum_is_open,
    slot_minimum_decide,
)
from ..signed_links import link_unsign
from ..states import Actor, MinimumDecision, SlotStatus
from .decorators import token_page

ACTIONS = {"uphold": True, "cancel": False}


def _slot_of(signature: str) -> Slot:
    pk = link_unsign(signature, salt=MINIMUM_SALT)
    slot = (
        Slot.objects.select_related("workshop", "workshop__artisan").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if slot is None or slot.min_decide_by is None:
        raise Http404("No such link")
    return slot


@token_page
def minimum_decide(request, signature):
    slot = _slot_of(signature)
    artisan = slot.workshop.artisan
    language = (
        translation.get_language()
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        else artisan.language
    )
    with translation.override(language):
        error = None
        if request.method == "POST" and request.POST.get("action") in ACTIONS:
            try:
                slot_minimum_decide(
                    slot_id=slot.pk,
                    uphold=ACTIONS[request.POST["action"]],
                    actor=Actor.artisan(artisan.user),
                )
            except BookingError as exc:
                error = exc.message
            else:
                return redirect(request.path)
        open_now = minimum_is_open(slot, timezone.now())
        expired = not open_now and not slot.min_decision and slot.status == SlotStatus.OPEN
        context = {
            "slot": slot,
            "workshop": slot.workshop,
            "seats": confirmed_seats([slot.pk]).get(slot.pk, 0),
            "open": open_now,
            "expired": expired,
            "error": error,
            "Decision": MinimumDecision,
        }
        status = 410 if expired else (400 if error else 200)
        return render(request, "bookings/backoffice/minimum_decide.html", context, status=status)
