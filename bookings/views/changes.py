"""Customer pages after the booking, from the order's token link: move to another date, cancel
(refund to the card), withdraw a request still waiting for the artisan. Each action has a
confirmation screen (GET) and is done by a POST that calls one service, then redirects to the
order page. A second POST of the same action finds it done (the services are idempotent)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..selectors.giftcards import gift_card_made_from
from ..services import BookingError
from ..services.changes import (
    order_cancel,
    order_cancel_to_gift_card,
    order_change_options,
    order_move_targets,
    order_rebook,
    order_withdraw,
)
from ..states import CUSTOMER, OrderStatus
from .checkout import _order_or_404
from .decorators import token_page


def _context(order, **extra) -> dict:
    return {
        "order": order,
        "slot": order.slot,
        "workshop": order.slot.workshop,
        "changes": order_change_options(order),
        **extra,
    }


def _not_now(request, order, reason: str):
    """The action is no longer possible: back to the order page, which says why."""
    messages.error(request, reason)
    return redirect("storefront:order", token=order.token)


def _back(request, order, error: BookingError | None = None, done: str = ""):
    if error is not None:
        messages.error(request, error.message)
    elif done:
        messages.success(request, done)
    return redirect("storefront:order", token=order.token)


@token_page
@require_http_methods(["GET"])
def order_move(request, token: str):
    """The other public dates of the workshop with enough seats."""
    order = _order_or_404(token)
    context = _context(order)
    if not context["changes"].can_move:
        return _not_now(
            request,
            order,
            context["changes"].reason_if_not or _("This booking can no longer be moved."),
        )
    return render(
        request,
        "bookings/changes/move.html",
        {**context, "targets": order_move_targets(order)},
    )


@token_page
@require_http_methods(["GET", "POST"])
def order_move_confirm(request, token: str, slot_id: int):
    """Confirm the move to one date (GET), then move (POST)."""
    order = _order_or_404(token)
    if request.method == "POST":
        if order.slot_id == slot_id and order.status == OrderStatus.CONFIRMED:
            return _back(request, order)  # a second click on a move already done
        try:
            order_rebook(order_id=order.pk, slot_id=slot_id, actor=CUSTOMER)
        except BookingError as exc:
            return _back(request, order, exc)
        return _back(
            request,
            order,
            done=_("Your booking is moved. Your new tickets are below and on their way by email."),
        )
    target = next((s for s in order_move_targets(order) if s.pk == slot_id), None)
    if target is None:
        raise Http404
    context = _context(order, target=target)
    if not context["changes"].can_move:
        return _not_now(
            request,
            order,
            context["changes"].reason_if_not or _("This booking can no longer be moved."),
        )
    return render(request, "bookings/changes/move_confirm.html", context)


@token_page
@require_http_methods(["GET", "POST"])
def order_cancel_view(request, token: str):
    """Confirm the cancellation and the amount refunded (GET), then cancel (POST)."""
    order = _order_or_404(token)
    if request.method == "POST":
        if order.status == OrderStatus.CANCELLED:
            return _back(request, order)
        try:
            order_cancel(order_id=order.pk, actor=CUSTOMER)
        except BookingError as exc:
            return _back(request, order, exc)
        return _back(
            request,
            order,
            done=_("Your booking is cancelled; the refund is on its way to your card."),
        )
    context = _context(order)
    if not context["changes"].can_cancel:
        return _not_now(
            request,
            order,
            context["changes"].reason_if_not or _("This booking can no longer be cancelled."),
        )
    return render(request, "bookings/changes/cancel_confirm.html", context)


@token_page
@require_http_methods(["GET", "POST"])
def order_gift_card_view(request, token: str):
    """Confirm (GET), then cancel the booking for a gift card of its whole value (POST), instead
    of a refund: the customer lands on the printable gift card."""
    order = _order_or_404(token)
    if request.method == "POST":
        try:
            card = order_cancel_to_gift_card(order_id=order.pk, actor=CUSTOMER)
        except BookingError as exc:
            return _back(request, order, exc)
        messages.success(
            request, _("Your booking is now a gift card. It is on its way to you by email too.")
        )
        return redirect("storefront:giftcard_print", token=card.token)
    context = _context(order)
    made = gift_card_made_from(order)
    if made is not None:
        return redirect("storefront:giftcard_print", token=made.token)
    if not context["changes"].can_cancel:
        return _not_now(
            request,
            order,
            context["changes"].reason_if_not or _("This booking can no longer be cancelled."),
        )
    context["valid_days"] = settings.GIFT_CARD_VALIDITY_DAYS
    return render(request, "bookings/changes/gift_card_confirm.html", context)


@token_page
@require_http_methods(["GET", "POST"])
def order_withdraw_view(request, token: str):
    """Confirm (GET), then withdraw (POST) a request still waiting for the artisan."""
    order = _order_or_404(token)
    if request.method == "POST":
        if order.status == OrderStatus.CANCELLED:
            return _back(request, order)
        try:
            order_withdraw(order_id=order.pk, actor=CUSTOMER)
        except BookingError as exc:
            return _back(request, order, exc)
        return _back(
            request, order, done=_("Your request is withdrawn; the hold on your card is released.")
        )
    context = _context(order)
    if not context["changes"].can_withdraw:
        return _not_now(request, order, _("This booking can no longer be withdrawn."))
    return render(request, "bookings/changes/withdraw_confirm.html", context)
