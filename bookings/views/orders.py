"""Back-office → Orders: every order of the artisan's workshops (search, filters, CSV), one
order's page (customer, tickets, payments, history) and its actions (move, cancel with a refund,
resend the confirmation). Another artisan's order is a 404."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..access import artisan_required
from ..forms.orders import OrderCancelForm, OrderFilterForm, OrderMoveForm
from ..models import Order
from ..selectors.giftcards import order_payment_split
from ..selectors.orders import artisan_order, artisan_orders, rebook_slots, refund_left_cents
from ..services.changes import order_cancel, order_rebook, order_resend_confirmation
from ..services.errors import BookingError
from ..services.refunds import PAID_STATUSES
from ..spreadsheets import csv_safe
from ..states import Actor, OrderStatus
from .backoffice import _add_error as add_booking_error

ORDERS_PER_PAGE = 25
LOCAL_FORMAT = "%Y-%m-%d %H:%M"


@artisan_required
@require_GET
def order_list(request, artisan):
    form = OrderFilterForm(request.GET or None, artisan=artisan)
    filters = form.filters()
    orders = (
        Order.objects.none()
        if filters is None
        else artisan_orders(artisan=artisan, filters=filters)
    )
    if request.GET.get("format") == "csv" and filters is not None:
        return _csv(orders)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "bookings/backoffice/orders/list.html",
        {
            "nav": "orders",
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "query": form.query_string(),
            "filtered": form.is_filtered,
        },
    )


def _csv(orders):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="orders-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response.write("\ufeff")  # spreadsheets read the BOM as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Order number"),
            _("Status"),
            _("Customer"),
            _("Email"),
            _("Mobile phone"),
            _("Workshop"),
            _("Session"),
            _("Time zone"),
            _("Seats"),
            _("Amount"),
            _("Currency"),
            _("Booked at"),
        ]
    )
    for order in orders.iterator(chunk_size=500):
        workshop = order.slot.workshop
        tz = workshop.tzinfo
        writer.writerow(
            [
                csv_safe(order.reference),
                OrderStatus(order.status).label,
                csv_safe(order.customer_name),
                csv_safe(order.customer_email),
                csv_safe(order.customer_phone),
                csv_safe(workshop.title),
                order.slot.starts_at.astimezone(tz).strftime(LOCAL_FORMAT),
                workshop.timezone,
                order.seats,
                f"{order.total_cents / 100:.2f}",
                order.currency,
                order.created_at.astimezone(tz).strftime(LOCAL_FORMAT),
            ]
        )
    return response


def _order_of(artisan, reference: str) -> Order:
    order = artisan_order(artisan=artisan, reference=reference) if len(reference) <= 16 else None
    if order is None:
        raise Http404
    return order


@artisan_required
@require_GET
def order_detail(request, artisan, reference: str):
    order = _order_of(artisan, reference)
    return render(
        request,
        "bookings/backoffice/orders/detail.html",
        {
            "nav": "orders",
            "order": order,
            "workshop": order.slot.workshop,
            "refund_left_cents": refund_left_cents(order.payments),
            "split": order_payment_split(order),  # bank card, gift card or both
            "can_move": order.status in PAID_STATUSES,
            "can_cancel": order.status in PAID_STATUSES,
            "can_resend": order.status == OrderStatus.CONFIRMED,
        },
    )


# --- Actions on one order (the services are bookings.services.changes) ------------------------


def _not_changeable(request, order):
    """An order that is not (or no longer) confirmed: back to its page, saying why."""
    if order.status in PAID_STATUSES:
        return None
    messages.info(
        request,
        _("This order is %(status)s: it can no longer be moved or cancelled.")
        % {"status": order.get_status_display().lower()},
    )
    return redirect("backoffice:order", reference=order.reference)


@artisan_required
def order_move(request, artisan, reference: str):
    """Step 1 chooses the session; step 2 confirms (and warns when it is full); then the move."""
    order = _order_of(artisan, reference)
    if refused := _not_changeable(request, order):
        return refused
    slots = rebook_slots(artisan=artisan, order=order, now=timezone.now())
    form = OrderMoveForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        slot = form.cleaned_data["slot"]
        if form.cleaned_data["confirmed"]:
            try:
                order_rebook(
                    order_id=order.pk,
                    slot_id=slot.pk,
                    actor=Actor.artisan(request.user),
                    by_artisan=True,
                    message=form.cleaned_data["message"],
                )
            except BookingError as error:
                add_booking_error(form, error)
            else:
                messages.success(request, _("The order is moved; the customer is being told."))
                return redirect("backoffice:order", reference=order.reference)
        else:
            return render(
                request,
                "bookings/backoffice/orders/move_confirm.html",
                {
                    "nav": "orders",
                    "order": order,
                    "workshop": order.slot.workshop,
                    "form": form,
                    "slot": slot,
                    "raised_capacity": slot.seats_taken + order.seats
                    if order.seats > slot.seats_left
                    else None,
                },
            )
    return render(
        request,
        "bookings/backoffice/orders/move.html",
        {"nav": "orders", "order": order, "workshop": order.slot.workshop, "form": form},
    )


@artisan_required
def order_cancel_view(request, artisan, reference: str):
    order = _order_of(artisan, reference)
    if refused := _not_changeable(request, order):
        return refused
    left = refund_left_cents(order.payments)
    form = OrderCancelForm(request.POST or None, refund_left_cents=left, currency=order.currency)
    if request.method == "POST" and form.is_valid():
        try:
            order_cancel(
                order_id=order.pk,
                actor=Actor.artisan(request.user),
                message=form.cleaned_data["message"],
                refund_cents=form.cleaned_data.get("refund_cents"),
            )
        except BookingError as error:
            add_booking_error(form, error)
        else:
            messages.success(request, _("The order is cancelled; the customer is being told."))
            return redirect("backoffice:order", reference=order.reference)
    return render(
        request,
        "bookings/backoffice/orders/cancel.html",
        {
            "nav": "orders",
            "order": order,
            "workshop": order.slot.workshop,
            "form": form,
            "refund_left_cents": left,
        },
    )


@artisan_required
@require_POST
def order_resend(request, artisan, reference: str):
    order = _order_of(artisan, reference)
    try:
        order_resend_confirmation(order_id=order.pk, actor=Actor.artisan(request.user))
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The confirmation and the tickets are sent again to %(email)s.")
            % {"email": order.customer_email},
        )
    return redirect("backoffice:order", reference=order.reference)
