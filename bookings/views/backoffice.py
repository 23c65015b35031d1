"""The artisan's back-office: calendar, slots, participants, activity (workshops).

Every view needs a signed-in user with an Artisan (403 otherwise) and reads only that
artisan's rows (another artisan's object is a 404).
"""

import csv
import hashlib
import zoneinfo
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import page_cache
from ..access import artisan_required, get_artisan_object_or_404
from ..forms.backoffice import (
    ArtisanLegalForm,
    SlotCancelForm,
    SlotCreateForm,
    SlotEditForm,
    TicketTypeFormSet,
    WorkshopForm,
    ticket_type_initial,
    ticket_type_rows,
)
from ..hooks import nav_badges, slot_hooks
from ..models import Artisan, Slot, Workshop
from ..selectors.backoffice import (
    artisan_workshops,
    calendar_days,
    month_range,
    parse_day,
    parse_month,
    slot_awaiting_confirmation,
    slot_participants,
    week_range,
)
from ..selectors.checkin import with_check_in
from ..services.artisans import artisan_legal_update
from ..services.errors import BookingError
from ..services.slots import slot_cancel, slot_create_series, slot_delete, slot_update
from ..services.workshops import WORKSHOP_FIELDS, workshop_save
from ..spreadsheets import csv_safe
from ..states import SlotStatus

WORKSHOPS_PER_PAGE = 20


def _today() -> date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.DEFAULT_WORKSHOP_TIMEZONE))


def _slot_of(artisan: Artisan, slot_id: int) -> Slot:
    return get_artisan_object_or_404(Slot.objects.select_related("workshop"), artisan, pk=slot_id)


def _add_error(form, error) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@artisan_required
def home(request, artisan):
    return redirect("backoffice:calendar")


# --- Calendar -------------------------------------------------------------------------------


def _label_days(days) -> None:
    """Give each day its labels (`l j F Y`, `j F`, weekday and month names, localised).

    Names are formatted once per weekday and per month rather than five times per day.
    """
    weekday_names, month_names = {}, {}
    for d in days:
        weekday = weekday_names.setdefault(d.day.weekday(), date_format(d.day, "l"))
        month = month_names.setdefault((d.day.year, d.day.month), date_format(d.day, "F"))
        d.weekday_name, d.month_name = weekday, month
        d.label = f"{weekday} {d.day.day} {month} {d.day.year}"
        d.short_label = f"{d.day.day} {month}"


@artisan_required
def calendar_view(request, artisan):
    """The month or week grid, cached under the artisan's `PageVersion` (bumped by database
    triggers on every write to their slots and workshops, read with the artisan): a repeat
    view runs no calendar query at all.

    The whole page is cached as well, under a key of everything else it shows: the nav badges
    (counted in the artisan's query), the path (the language switcher's `next`), the day, the
    language and time zone, the code version. A page with a flash message for this visitor is
    rendered and not cached. The CSRF token is put in per request; the ETag adds a digest of
    the CSRF secret, so a browser revalidating with the same cookie gets a 304, and a new
    cookie a page whose tokens match it. `private, no-cache`: never in a shared cache.
    """
    today = _today()
    view = "week" if request.GET.get("view") == "week" else "month"
    if view == "week":
        anchor = parse_day(request.GET.get("date"), today)
        key_part = f"week:{anchor}"
    else:
        anchor = parse_month(request.GET.get("month"), today)
        key_part = f"month:{anchor}"
    key = ":".join(
        (
            "backoffice:calendar",
            str(artisan.pk),
            str(artisan.page_version or 0),
            key_part,
            str(today),
            translation.get_language(),
            timezone.get_current_timezone_name(),
            page_cache.code_version(),
        )
    )
    if page_cache.has_messages(request):
        return _private(
            _calendar_page(request, artisan, key, view=view, anchor=anchor, today=today)
        )
    page_key = ":".join(
        (
            key,
            "page",
            ",".join(map(str, nav_badges.counts(artisan))),
            hashlib.blake2b(request.get_full_path().encode(), digest_size=8).hexdigest(),
        )
    )
    get_token(request)  # the CSRF secret of this visitor (set if new), read just below
    secret = request.META["CSRF_COOKIE"]
    etag = '"{}"'.format(
        hashlib.blake2b(f"{page_key}:{secret}".encode(), digest_size=12).hexdigest()
    )
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        page = page_cache.get(page_key)
        if page is None:
            page = _calendar_page(
                request,
                artisan,
                key,
                view=view,
                anchor=anchor,
                today=today,
                csrf_token=page_cache.CSRF_SLOT,
            ).content
            page_cache.set(page_key, page)
        response = HttpResponse(page_cache.with_csrf_token(page, request))
    response.headers["ETag"] = etag
    return _private(response)


def _calendar_page(request, artisan, key: str, *, view: str, anchor: date, today: date, **extra):
    """The calendar page around the grid, which is cached under `key`."""
    body = page_cache.get(key)
    if body is None:
        body = _calendar_body(artisan=artisan, view=view, anchor=anchor, today=today)
        page_cache.set(key, body)
    return render(
        request,
        "bookings/backoffice/calendar.html",
        {"nav": "calendar", "calendar_body": mark_safe(body), **extra},  # noqa: S308 - our template
    )


def _private(response):
    """For this visitor's browser only, which asks again (with its ETag) each time."""
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _calendar_body(*, artisan, view: str, anchor: date, today: date) -> str:
    if view == "week":
        start, end = week_range(anchor)
        period = (start, end)
        previous = {"view": "week", "date": (start - timedelta(days=7)).isoformat()}
        following = {"view": "week", "date": end.isoformat()}
        current = {"view": "week", "date": today.isoformat()}
        switch = {"view": "month", "month": anchor.strftime("%Y-%m")}
    else:
        start, end = month_range(anchor)
        period = (anchor, (anchor + timedelta(days=32)).replace(day=1))
        previous = {"month": (anchor - timedelta(days=1)).strftime("%Y-%m")}
        following = {"month": period[1].strftime("%Y-%m")}
        current = {"month": today.strftime("%Y-%m")}
    days = calendar_days(artisan=artisan, start=start, end=end, today=today, period=period)
    if view == "month":
        # Week view of today, else of the month's first day with slots, else of the 1st.
        busy = [d.day for d in days if d.in_period and d.slots]
        week_anchor = today if period[0] <= today < period[1] else (busy[0] if busy else anchor)
        switch = {"view": "week", "date": week_anchor.isoformat()}
    _label_days(days)
    return render_to_string(
        "bookings/backoffice/_calendar_body.html",
        {
            "view": view,
            "anchor": anchor,
            "period_start": period[0],
            "period_last": period[1] - timedelta(days=1),
            "days": days,
            "has_slots": any(day.slots for day in days),
            "previous": "?" + urlencode(previous),
            "following": "?" + urlencode(following),
            "current": "?" + urlencode(current),
            "switch": "?" + urlencode(switch),
            "new_slot_date": (today if period[0] <= today < period[1] else period[0]).isoformat(),
            "weekdays": [d.day for d in days[:7]],
            "slot_create_url": reverse("backoffice:slot_create"),
        },
    )


# --- Slots ----------------------------------------------------------------------------------


@artisan_required
def slot_create(request, artisan):
    initial = {}
    if request.method == "GET":
        workshop_id = request.GET.get("workshop", "")
        day = request.GET.get("date", "")
        if workshop_id.isdigit():
            initial["workshop"] = workshop_id
        if day:
            parsed = parse_day(day, _today())
            initial["date"] = parsed
            initial["until"] = parsed + timedelta(weeks=8)
    form = SlotCreateForm(request.POST or None, artisan=artisan, initial=initial)
    if not form.fields["workshop"].queryset.exists():
        messages.warning(request, _("Create a workshop first: every slot belongs to one."))
        return redirect("backoffice:workshop_create")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slots = slot_create_series(
                artisan=artisan,
                workshop_id=data["workshop"].pk,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                until=data["until"],
            )
        except BookingError as error:
            _add_error(form, error)
        else:
            if len(slots) == 1:
                messages.success(request, _("The slot is on your calendar."))
            else:
                messages.success(
                    request,
                    _("%(count)d weekly slots are on your calendar.") % {"count": len(slots)},
                )
            first = slots[0].starts_at.astimezone(slots[0].workshop.tzinfo)
            return redirect(f"{reverse('backoffice:calendar')}?month={first:%Y-%m}")
    return render(
        request,
        "bookings/backoffice/slot_form.html",
        {
            "nav": "calendar",
            "form": form,
            "workshop_defaults": {"durations": form.durations, "capacities": form.capacities},
        },
    )


@artisan_required
def slot_edit(request, artisan, slot_id: int):
    slot = _slot_of(artisan, slot_id)
    if slot.status == SlotStatus.CANCELLED:
        messages.warning(request, _("This slot is cancelled; it can no longer be changed."))
        return redirect("backoffice:slot_participants", slot_id=slot.pk)
    if refused := _claimed(request, slot, slot_hooks.UPDATE):
        return refused
    form = SlotEditForm(request.POST or None, slot=slot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slot_update(
                artisan=artisan,
                slot_id=slot.pk,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
            )
        except Slot.DoesNotExist:
            raise Http404 from None
        except BookingError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The slot is saved."))
            return redirect("backoffice:slot_participants", slot_id=slot.pk)
    return render(
        request,
        "bookings/backoffice/slot_edit.html",
        {"nav": "calendar", "form": form, "slot": slot},
    )


@artisan_required
def slot_cancel_view(request, artisan, slot_id: int):
    slot = _slot_of(artisan, slot_id)
    if slot.status == SlotStatus.CANCELLED:
        messages.info(request, _("This slot is already cancelled."))
        return redirect("backoffice:slot_participants", slot_id=slot.pk)
    if refused := _claimed(request, slot, slot_hooks.CANCEL):
        return refused
    form = SlotCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            slot_cancel(artisan=artisan, slot_id=slot.pk, message=form.cleaned_data["message"])
        except Slot.DoesNotExist:
            raise Http404 from None
        except BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The slot is cancelled; the participants are being told."))
            return redirect("backoffice:slot_participants", slot_id=slot.pk)
    participants = slot_participants(slot=slot)
    return render(
        request,
        "bookings/backoffice/slot_cancel.html",
        {"nav": "calendar", "form": form, "slot": slot, "participant_count": len(participants)},
    )


@artisan_required
def slot_delete_view(request, artisan, slot_id: int):
    slot = _slot_of(artisan, slot_id)
    if refused := _claimed(request, slot, slot_hooks.DELETE):
        return refused
    has_orders = slot.orders.exists()
    if request.method == "POST":
        month = slot.starts_at.astimezone(slot.workshop.tzinfo).strftime("%Y-%m")
        try:
            slot_delete(artisan=artisan, slot_id=slot.pk)
        except Slot.DoesNotExist:
            raise Http404 from None
        except BookingError as error:
            messages.error(request, error.message)
            return redirect("backoffice:slot_participants", slot_id=slot.pk)
        messages.success(request, _("The slot is deleted."))
        return redirect(f"{reverse('backoffice:calendar')}?month={month}")
    return render(
        request,
        "bookings/backoffice/slot_delete.html",
        {"nav": "calendar", "slot": slot, "has_orders": has_orders},
    )


def _claimed(request, slot, action):
    """A slot another flow holds for this action: say why and send the artisan back to the slot's page."""
    claim = slot_hooks.claim(slot, action)
    if claim is None:
        return None
    messages.warning(request, claim.message)
    return redirect("backoffice:slot_participants", slot_id=slot.pk)


# --- Participants ---------------------------------------------------------------------------


def _tickets(order) -> str:
    return ", ".join(f"{line.quantity} × {line.label}" for line in order.lines.all()) or str(
        order.seats
    )


def _checked_in_cell(order, tzinfo) -> str:
    """The CSV's check-in time, in the workshop's time zone ("2/3" first when some are missing)."""
    if not order.last_checked_in_at:
        return ""
    when = order.last_checked_in_at.astimezone(tzinfo).strftime("%Y-%m-%d %H:%M")
    if order.tickets_checked_in < order.ticket_count:
        return f"{order.tickets_checked_in}/{order.ticket_count} {when}"
    return when


@artisan_required
def slot_participants_view(request, artisan, slot_id: int):
    slot = _slot_of(artisan, slot_id)
    orders = list(with_check_in(slot_participants(slot=slot)))
    for order in orders:
        order.tickets_label = _tickets(order)
    local_start = slot.starts_at.astimezone(slot.workshop.tzinfo)
    if request.GET.get("format") == "csv":
        filename = f"participants-{slugify(slot.workshop.title)[:60] or 'workshop'}-{local_start:%Y-%m-%d-%H%M}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.write("\ufeff")  # spreadsheets read the BOM as UTF-8
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Name"),
                _("Email"),
                _("Mobile phone"),
                _("Seats"),
                _("Tickets"),
                _("Order number"),
                _("Checked in at"),
            ]
        )
        for order in orders:
            writer.writerow(
                [
                    csv_safe(order.customer_name),
                    csv_safe(order.customer_email),
                    csv_safe(order.customer_phone),
                    order.seats,
                    csv_safe(order.tickets_label),
                    csv_safe(order.reference),
                    _checked_in_cell(order, slot.workshop.tzinfo),
                ]
            )
        return response
    claims = slot_hooks.claims(slot)
    pending = list(slot_awaiting_confirmation(slot=slot))
    for order in pending:
        order.tickets_label = _tickets(order)
    return render(
        request,
        "bookings/backoffice/slot_participants.html",
        {
            "nav": "calendar",
            "slot": slot,
            "orders": orders,
            "seat_count": sum(o.seats for o in orders),
            "pending": pending,
            "pending_held_seats": sum(o.seats for o in pending if o.holds_seats),
            "can_delete": slot.status != SlotStatus.CANCELLED
            and not slot.orders.exists()
            and slot_hooks.DELETE not in claims,
            "claims": claims,
            "claim": next(iter(claims.values()), None),
            "is_past": slot.ends_at <= timezone.now(),
        },
    )


# --- Activity (workshops) -------------------------------------------------------------------


@artisan_required
def activity(request, artisan):
    page = Paginator(artisan_workshops(artisan=artisan), WORKSHOPS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "bookings/backoffice/activity.html", {"nav": "activity", "page": page})


@artisan_required
def activity_settings(request, artisan):
    """Legal details and VAT: what a company's quote states about the artisan."""
    form = ArtisanLegalForm(request.POST or None, artisan=artisan)
    if request.method == "POST" and form.is_valid():
        try:
            artisan_legal_update(artisan=artisan, values=form.values())
        except BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your legal details are saved; your next quotes show them.")
            )
            return redirect("backoffice:activity_settings")
    return render(
        request, "bookings/backoffice/activity_settings.html", {"nav": "activity", "form": form}
    )


def _workshop_form_view(request, artisan, workshop: Workshop | None):
    form = WorkshopForm(request.POST or None, request.FILES or None, workshop=workshop)
    formset = TicketTypeFormSet(
        request.POST or None, initial=ticket_type_initial(workshop), prefix="tickets"
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            saved = workshop_save(
                artisan=artisan,
                workshop_id=workshop.pk if workshop else None,
                values={name: data[name] for name in WORKSHOP_FIELDS},
                photo=data.get("photo"),
                remove_photo=bool(data.get("remove_photo")),
                ticket_types=ticket_type_rows(formset),
            )
        except Workshop.DoesNotExist:
            raise Http404 from None
        except BookingError as error:
            if error.field == "ticket_types":
                messages.error(request, error.message)
            else:
                _add_error(form, error)
        else:
            messages.success(request, _("“%(title)s” is saved.") % {"title": saved.title})
            return redirect("backoffice:workshop_edit", workshop_id=saved.pk)
    return render(
        request,
        "bookings/backoffice/workshop_form.html",
        {"nav": "activity", "form": form, "formset": formset, "workshop": workshop},
    )


@artisan_required
def workshop_create(request, artisan):
    return _workshop_form_view(request, artisan, None)


@artisan_required
def workshop_edit(request, artisan, workshop_id: int):
    workshop = get_artisan_object_or_404(Workshop, artisan, owner="artisan", pk=workshop_id)
    return _workshop_form_view(request, artisan, workshop)
