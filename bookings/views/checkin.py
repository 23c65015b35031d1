"""The door: a slot's check-in page, built for the artisan's phone.

The camera (static/js/checkin.js) fills the code field and posts the form with fetch; without
JavaScript the same form posts and the page comes back with the answer. A fetch gets only the
`answer` partial (the answer and counter, who came).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..access import artisan_required, get_artisan_object_or_404
from ..forms.checkin import CheckInForm
from ..models import Slot
from ..selectors.checkin import slot_check_in_count, slot_checked_in_tickets
from ..services.checkin import ticket_check_in, ticket_check_in_undo
from ..services.errors import BookingError

TEMPLATE = "bookings/backoffice/checkin.html"


def _door(request, slot, *, form, result=None, status=200):
    checked, expected = slot_check_in_count(slot=slot)
    context = {
        "nav": "calendar",
        "slot": slot,
        "form": form,
        "result": result,
        "checked": checked,
        "expected": expected,
        "arrivals": slot_checked_in_tickets(slot=slot),
    }
    template = f"{TEMPLATE}#answer" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


@artisan_required
def slot_check_in(request, artisan, slot_id: int):
    slot = get_artisan_object_or_404(Slot.objects.select_related("workshop"), artisan, pk=slot_id)
    if request.method != "POST":
        return _door(request, slot, form=CheckInForm())
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _door(request, slot, form=form, status=400)
    result = ticket_check_in(artisan=artisan, slot_id=slot.pk, code=form.cleaned_data["code"])
    # The field is emptied for the next ticket; the answer says which one this was.
    return _door(request, slot, form=CheckInForm(), result=result)


@artisan_required
@require_POST
def slot_check_in_undo(request, artisan, slot_id: int, ticket_id: int):
    slot = get_artisan_object_or_404(Slot.objects.select_related("workshop"), artisan, pk=slot_id)
    try:
        ticket = ticket_check_in_undo(artisan=artisan, slot_id=slot.pk, ticket_id=ticket_id)
    except BookingError as error:
        raise Http404(error.message) from error
    messages.success(
        request, _("%(name)s is marked as not arrived.") % {"name": ticket.order.customer_name}
    )
    return redirect("backoffice:slot_check_in", slot_id=slot.pk)
