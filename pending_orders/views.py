"""Back-office Orders → Pending orders. Every query is scoped to request.user.artisan."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bookings.access import artisan_required, get_artisan_object_or_404
from bookings.spreadsheets import csv_safe
from bookings.states import OrderStatus

from . import selectors, services
from .forms import ActionForm, FilterForm
from .models import DecisionBatch
from .states import DecisionAction

PAGE_SIZE = 25


def _filtered(request, artisan, data):
    form = FilterForm(data, artisan=artisan)
    return form, selectors.pending_orders_for(artisan=artisan, **form.filters())


def _query_string(form) -> str:
    if not form.is_valid():
        return ""

    data = form.cleaned_data
    params = {
        "workshop": data["workshop"].pk if data.get("workshop") else "",
        "date_from": data["date_from"].isoformat() if data.get("date_from") else "",
        "date_to": data["date_to"].isoformat() if data.get("date_to") else "",
    }
    return urlencode({k: v for k, v in params.items() if v})


@artisan_required
@require_GET
def order_list(request, artisan):
    form, orders = _filtered(request, artisan, request.GET or None)
    if request.GET.get("format") == "csv":
        return _csv(orders)
    page = Paginator(selectors.with_history(selectors.with_lines(orders)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "pending_orders/list.html",
        {
            "nav": "pending_orders",
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "query": _query_string(form),
            "now": timezone.now(),
            "filtered": any(request.GET.get(k) for k in ("workshop", "date_from", "date_to")),
        },
    )


def _lines(order) -> str:
    return (
        ", ".join(f"{line.quantity} × {line.label}" for line in order.lines.all())
        or f"{order.seats}"
    )


def _csv(orders):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="pending-orders-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Order number"),
            _("Customer"),
            _("Email"),
            _("Phone"),
            _("Workshop"),
            _("Session"),
            _("Tickets"),
            _("Seats"),
            _("Amount"),
            _("Currency"),
            _("Booked at"),
            _("Decide by"),
            _("Card hold lapses at"),
            _("Status"),
        ]
    )
    for order in selectors.with_lines(orders).iterator(chunk_size=500):
        tz = order.slot.workshop.tzinfo
        writer.writerow(
            [
                order.reference,
                csv_safe(order.customer_name),
                csv_safe(order.customer_email),
                csv_safe(order.customer_phone),
                csv_safe(order.slot.workshop.title),
                order.slot.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                csv_safe(_lines(order)),
                order.seats,
                f"{order.total_cents / 100:.2f}",
                order.currency,
                order.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                order.decide_by.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if order.decide_by
                else "",
                order.authorisation_expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if order.authorisation_expires_at
                else "",
                OrderStatus(order.status).label,
            ]
        )
    return response


@artisan_required
@require_POST
def order_action(request, artisan):
    form = ActionForm(request.POST)
    filter_form, orders = _filtered(request, artisan, request.POST)
    if not form.is_valid():
        errors = [*form.non_field_errors(), *form.errors.get("message", [])]
        for error in errors or [_("Invalid selection.")]:
            messages.error(request, error)
        return redirect(f"{reverse('pending_orders:list')}?{_query_string(filter_form)}")
    data = form.cleaned_data
    if data["select_all"]:
        orders = selectors.actionable(orders)
    ids = list(orders.values_list("pk", flat=True)) if data["select_all"] else data["order"]
    action = data["action"]
    if not data["confirmed"]:
        chosen = (
            selectors.with_lines(orders.filter(pk__in=ids))
            if not data["select_all"]
            else selectors.with_lines(orders)
        )
        no_seat = selectors.without_a_seat(chosen) if action == DecisionAction.ACCEPT else set()
        return render(
            request,
            "pending_orders/confirm.html",
            {
                "nav": "pending_orders",
                "no_seat": no_seat,
                "form": form,
                "filter_form": filter_form,
                "action": action,
                "count": len(ids),
                "preview": chosen[:10],
                "select_all": data["select_all"],
                "ids": ids,
            },
        )
    service = services.orders_accept if action == DecisionAction.ACCEPT else services.orders_refuse
    try:
        batch = service(artisan=artisan, order_ids=ids, message=data["message"], actor=request.user)
    except services.OrdersNotFound as exc:
        raise Http404 from exc
    return redirect("pending_orders:batch", pk=batch.pk)


@artisan_required
@require_GET
def batch_detail(request, artisan, pk):
    batch = get_artisan_object_or_404(DecisionBatch, artisan, owner="artisan", pk=pk)
    orders = list(selectors.batch_orders(batch=batch))
    counts = {status: 0 for status in OrderStatus.values}
    for order in orders:
        counts[services.display_status(order)] += 1
    errors = {int(k): v for k, v in batch.errors.items()}
    rows = [(order, errors.get(order.pk)) for order in orders]
    context = {
        "nav": "pending_orders",
        "batch": batch,
        "rows": rows,
        "counts": counts,
        "in_progress": counts[OrderStatus.CAPTURING],
        "error_count": len(errors),
        "done_count": len(batch.done_ids),
        "already_count": len(batch.already_ids),
    }
    template = "pending_orders/batch.html#progress" if request.htmx else "pending_orders/batch.html"
    return render(request, template, context)


@artisan_required
@require_POST
def order_retry(request, artisan, pk):
    try:
        batch = services.orders_retry_capture(artisan=artisan, order_ids=[pk], actor=request.user)
    except services.OrdersNotFound as exc:
        raise Http404 from exc
    if batch.errors:
        messages.error(request, next(iter(batch.errors.values())))
    else:
        messages.success(request, _("The capture is being tried again."))
    return redirect("pending_orders:batch", pk=batch.pk)
