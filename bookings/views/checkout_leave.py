"""The payment page's cancel link (dev checkout and Stripe's cancel_url): the customer left, so the
seats they held go back at once instead of waiting for the hold to lapse."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..services import order_checkout_leave
from ..states import OrderStatus
from .checkout import _order_or_404
from .decorators import token_page


@token_page
def checkout_leave(request, token: str):
    order = _order_or_404(token)
    was_unpaid = order.status == OrderStatus.PENDING_PAYMENT
    order = order_checkout_leave(order_id=order.pk)
    if was_unpaid and order.status == OrderStatus.EXPIRED:
        messages.info(
            request,
            _("You left the payment page: your seats are given back and nothing was charged."),
        )
    return redirect("storefront:order", token=order.token)
