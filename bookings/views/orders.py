"""Back-office → Orders: every order of the artisan's workshops (search, filters, CSV) and one
order's page (customer, tickets, payments, history). Another artisan's order is a 404."""

import csv

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..access import artisan_required
from ..forms.orders import OrderFilterForm
from ..models import Order
from ..selectors.orders import artisan_order, artisan_orders, refund_left_cents
from ..spreadsheets import csv_safe
from ..states import OrderStatus

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
        },
    )
