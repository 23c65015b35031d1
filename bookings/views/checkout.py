"""Customer pages of a booking: the form, the return from the payment page, the order page
(tickets with QR codes, printable tickets, calendar file). No account: the order's token."""

import hmac
import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import page_cache
from ..forms.checkout import BookingForm
from ..models import Order, Slot
from ..payments import PaymentError, get_gateway
from ..ratelimit import ratelimit_post
from ..selectors.giftcards import order_card_cents, order_payment_split
from ..selectors.storefront import seats_held_by
from ..selectors.tickets import order_ics, ticket_qr_svg
from ..selectors.versions import bookable_slot_version
from ..services import (
    BookingError,
    hold_lapsed,
    order_apply_payment_state,
    order_pay_by_gift_card,
    order_place,
    order_start_payment,
)
from ..services.changes import order_change_options
from ..states import OrderStatus, SlotKind, SlotStatus
from .decorators import token_page
from .giftcards import gift_quote_for


def _order_or_404(token: str) -> Order:
    order = (
        Order.objects.select_related("slot__workshop__artisan").filter(token=token).first()
        if 20 <= len(token) <= 64
        else None
    )
    if order is None or not hmac.compare_digest(order.token, token):
        raise Http404
    return order


def _confirmed_order_or_404(token: str) -> Order:
    """Tickets and the calendar file exist only for a confirmed order: an unpaid, pending or expired
    one has no seat to show at the door."""
    order = _order_or_404(token)
    if order.status != OrderStatus.CONFIRMED:
        raise Http404
    return order


def _payment_urls(request, order) -> tuple[str, str]:
    back = request.build_absolute_uri(reverse("storefront:checkout_return", args=[order.token]))
    cancel = request.build_absolute_uri(reverse("storefront:checkout_leave", args=[order.token]))
    return back, cancel


def _go_pay(request, order):
    """Send the customer to the gateway; on failure, to the order page with the reason.
    An order its gift card pays in full has no card step."""
    back, cancel = _payment_urls(request, order)
    try:
        if order_card_cents(order) == 0:
            order_pay_by_gift_card(order_id=order.pk)
            return redirect("storefront:order", token=order.token)
        session = order_start_payment(order_id=order.pk, return_url=back, cancel_url=cancel)
    except (PaymentError, BookingError) as exc:
        messages.error(request, exc.message)
        return redirect("storefront:order", token=order.token)
    return redirect(session.redirect_url)


def _bookable_slot(slot_id: int, **lookup) -> Slot:
    return get_object_or_404(
        Slot.objects.select_related("workshop__artisan"),
        pk=slot_id,
        kind=SlotKind.PUBLIC,
        status=SlotStatus.OPEN,
        workshop__is_published=True,
        starts_at__gt=timezone.now(),
        **lookup,
    )


def book_redirect(request, slot_id: int):
    """The old `/book/<slot id>/` address: 301 to the slot under its workshop."""
    slot = _bookable_slot(slot_id)
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    if request.META.get("QUERY_STRING"):
        url = f"{url}?{request.META['QUERY_STRING']}"
    return HttpResponsePermanentRedirect(url)


# The booking page is kept rendered with this in place of the form token (and
# page_cache.CSRF_SLOT for the CSRF token): each display gets its own.
FORM_TOKEN_SLOT = "atelier0form0token0slot"
# …and with these in place of the texts that give the seats left (by their name in the
# template), filled in at each display: a booking changes the seats taken, not the form (its
# version, "f", is not bumped by it).
SEAT_SLOTS = {
    "seats_left_text": "atelier0seats0left0slot",
    "seats_note_text": "atelier0seats0note0slot",
}


def _seat_texts(left: int) -> dict[str, str]:
    """The texts of the booking page that say how many seats are left, by their name in the
    template (the keys of `SEAT_SLOTS`)."""
    return {
        "seats_left_text": ngettext("%(left)s seat left", "%(left)s seats left", left)
        % {"left": left},
        "seats_note_text": ngettext(
            "Your seats are held while the artisan decides. Ask for more than the %(left)s seat "
            "left and you are on the waiting list: the artisan accepts if a seat frees up.",
            "Your seats are held while the artisan decides. Ask for more than the %(left)s seats "
            "left and you are on the waiting list: the artisan accepts if a seat frees up.",
            left,
        )
        % {"left": left},
    }


@ratelimit_post("booking")
def book(request, slug: str, slot_id: int):
    """The booking form of a slot, and its POST.

    The empty form and the sold-out page are kept rendered under the workshop's database-kept
    form version (bumped by every write to the slot, its ticket types or workshop but a change
    of the seats taken alone) and whether seats are left, with the CSRF and form tokens and the
    seats left filled in per display: a flash sale's crowd costs one version query each, a
    latecomer's POST on a full session one more (their own hold), and a booking does not make
    the next customer's form render again."""
    key, left = _book_page_key(request, slug, slot_id)
    entry = page_cache.get(key) if key else None
    if entry is not None:
        if request.method == "GET":
            return _book_page_answer(request, entry, left)
        if entry["sold_out"] and not seats_held_by(
            slot_id=slot_id, customer_email=_posted_email(request)
        ):
            return _book_page_answer(request, entry, left, status=400)
    slot = _bookable_slot(slot_id, workshop__slug=slug)
    if key and (slot.seats_left <= 0) != (left <= 0):
        # The last seat was taken or one freed since the version was read: this page is not
        # the one its key names (full or not), so it is not kept.
        key = None
    workshop = slot.workshop
    ticket_types = list(workshop.ticket_types.filter(is_active=True))
    if _sold_out(request, slot, ticket_types):
        return _sold_out_page(request, slot, key)
    keep = key if request.method == "GET" else None
    form = BookingForm(
        request.POST or None,
        slot=slot,
        ticket_types=ticket_types,
        initial={"form_token": FORM_TOKEN_SLOT} if keep else None,
    )
    gift = applying = None
    if request.method == "POST":
        gift, applying = gift_quote_for(request, form, workshop.currency)
    if request.method == "POST" and form.is_valid() and not applying:
        try:
            order = order_place(
                slot_id=slot.pk,
                quantities=form.quantities(),
                customer_name=form.cleaned_data["customer_name"],
                customer_email=form.cleaned_data["customer_email"],
                customer_phone=form.cleaned_data["customer_phone"],
                language=translation.get_language() or "en",
                form_token=form.cleaned_data["form_token"],
                gift_card_code=form.cleaned_data["gift_code"],
                gift_card_cents=gift.used_cents if gift else 0,
            )
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            slot.refresh_from_db()
        else:
            return _go_pay(request, order)
    context = {
        "form": form,
        "slot": slot,
        "workshop": workshop,
        "hold_minutes": settings.CHECKOUT_HOLD_MINUTES,
        "gift": gift,
    }
    if keep:
        return _book_page_keep(request, keep, context, left, sold_out=False)
    context.update(_seat_texts(slot.seats_left))
    return render(
        request,
        "bookings/checkout/book.html",
        context,
        status=400 if request.method == "POST" and (form.errors or not applying) else 200,
    )


def _posted_email(request) -> str:
    return request.POST.get("customer_email", "").strip()[:254] if request.method == "POST" else ""


def _sold_out(request, slot, ticket_types) -> bool:
    """No seat left and no confirm-first ticket (those may join the waiting list), and none held
    by the customer posting (a booking of theirs gives its seats back for the new one)."""
    if slot.seats_left > 0 or any(t.requires_confirmation for t in ticket_types):
        return False
    return not seats_held_by(slot_id=slot.pk, customer_email=_posted_email(request))


def _sold_out_page(request, slot, key: str | None):
    """The booking page of a full session says so, without a form: a flash sale tells its
    latecomers at once (no validation, no lock), the form page and a POST alike."""
    context = {"sold_out": True, "slot": slot, "workshop": slot.workshop}
    if key:
        return _book_page_keep(
            request,
            key,
            context,
            slot.seats_left,
            sold_out=True,
            status=400 if request.method == "POST" else 200,
        )
    return render(
        request,
        "bookings/checkout/book.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _book_page_key(request, slug: str, slot_id: int) -> tuple[str | None, int | None]:
    """The key of the slot's booking page as it is now and the seats left (404 if the slot is
    not bookable), or (None, None) when this request must see a page of its own (a flash
    message, a query string). A full session's page (the sold-out page) has a key of its own."""
    if not page_cache.request_cacheable(request):
        return None, None
    # Read before the rows: what is rendered under the key is at least as new as this version.
    version, left = bookable_slot_version(slug=slug, slot_id=slot_id)
    key = ":".join(
        (
            "storefront:book",
            str(slot_id),
            str(version),
            "full" if left <= 0 else "open",
            str(settings.CHECKOUT_HOLD_MINUTES),
            translation.get_language(),
            page_cache.code_version(),
        )
    )
    return key, left


def _book_page_keep(
    request, key: str, context: dict, left: int, *, sold_out: bool, status: int = 200
):
    """Render the page with the token and seat slots, keep it under `key`, answer it filled in."""
    context["csrf_token"] = page_cache.CSRF_SLOT
    context.update(SEAT_SLOTS)
    content = render(request, "bookings/checkout/book.html", context).content
    entry = {"content": content, "sold_out": sold_out}
    page_cache.set(key, entry)
    return _book_page_answer(request, entry, left, status=status)


def _book_page_answer(request, entry: dict, left: int, *, status: int = 200) -> HttpResponse:
    """The kept page with this visitor's CSRF token (the cookie is set if new), a new form
    token (each display of the form is one booking however often it is sent) and the seats
    left now."""
    content = page_cache.with_csrf_token(entry["content"], request)
    content = content.replace(FORM_TOKEN_SLOT.encode(), secrets.token_urlsafe(24).encode())
    if not entry["sold_out"]:
        for name, text in _seat_texts(left).items():
            content = content.replace(SEAT_SLOTS[name].encode(), escape(text).encode())
    return HttpResponse(content, status=status)


@token_page
def checkout_return(request, token: str):
    """Back from the payment page: ask the gateway (the webhook may not have come yet)."""
    order = _order_or_404(token)
    if order.payment_intent_id and order.status == OrderStatus.PENDING_PAYMENT:
        try:
            state = get_gateway(order.payment_provider or None).retrieve(order.payment_intent_id)
        except PaymentError:
            pass  # the webhook will tell; the order page says the payment is being checked
        else:
            order_apply_payment_state(order_id=order.pk, state=state)
    return redirect("storefront:order", token=order.token)


@token_page
def order_detail(request, token: str):
    order = _order_or_404(token)
    tickets = list(order.tickets.all()) if order.status == OrderStatus.CONFIRMED else []
    context = {
        "order": order,
        "slot": order.slot,
        "workshop": order.slot.workshop,
        "lines": list(order.lines.all()),
        "tickets": [(ticket, ticket_qr_svg(ticket.code)) for ticket in tickets],
        "can_pay": order.status == OrderStatus.PENDING_PAYMENT and not hold_lapsed(order),
        "lapsed": hold_lapsed(order),
        "changes": order_change_options(order),  # what the customer may still change
        "split": order_payment_split(order),
    }
    return render(request, "bookings/checkout/order.html", context)


@require_POST
def order_pay(request, token: str):
    order = _order_or_404(token)
    return _go_pay(request, order)


@token_page
def order_tickets(request, token: str):
    order = _confirmed_order_or_404(token)
    tickets = [(ticket, ticket_qr_svg(ticket.code)) for ticket in order.tickets.all()]
    return render(
        request,
        "bookings/checkout/tickets.html",
        {"order": order, "slot": order.slot, "workshop": order.slot.workshop, "tickets": tickets},
    )


@token_page
def order_calendar(request, token: str):
    order = _confirmed_order_or_404(token)
    response = HttpResponse(order_ics(order), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="atelier-{order.reference}.ics"'
    return response
