"""What privatisation says about the slots it holds (registered as bookings' slot hooks).

A private slot offered on a request belongs to the request: it is changed from "Manage the
request", never from the calendar. An offered slot (held, or cancelled after another was
chosen) stays in the request's history, so it is never deleted; while it is held, it is not
moved nor cancelled either (the customer may be choosing it). The private session the
customer paid for is an ordinary slot with a participant: edit or cancel it as any other.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from bookings.hooks import SlotClaim, slot_hooks
from bookings.states import SlotKind, SlotStatus

from ..models import Offer


def held_slot_claims(slot) -> dict:
    if slot.kind != SlotKind.PRIVATE:
        return {}
    offer = Offer.objects.filter(slot_id=slot.pk).select_related("request").first()
    if offer is None:
        return {}
    request = offer.request
    link = reverse("privatisation:manage", args=[request.pk])
    kept = SlotClaim(
        _(
            "This slot was offered on %(name)s’s private session request: it stays in the request’s history."
        )
        % {"name": request.contact_name},
        link,
    )
    claims = {slot_hooks.DELETE: kept}
    if slot.status == SlotStatus.HELD:
        held = SlotClaim(
            _(
                "This slot is held for %(name)s’s private session request: manage it from the request."
            )
            % {"name": request.contact_name},
            link,
        )
        claims.update({slot_hooks.UPDATE: held, slot_hooks.CANCEL: held})
    return claims
