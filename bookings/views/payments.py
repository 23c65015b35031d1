"""Payment endpoints: the Stripe webhook and the local dev gateway's checkout page."""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import DevPayment
from ..payments import InvalidWebhook, PaymentUnavailable, get_gateway
from ..payments.base import IntentStatus
from ..services.payments import payment_event_process

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    gateway = get_gateway("stripe")
    try:
        event = gateway.parse_webhook(payload=request.body, headers=request.headers)
    except InvalidWebhook as exc:
        logger.warning("Rejected Stripe webhook: %s", exc)
        return HttpResponseBadRequest("invalid signature")
    try:
        outcome = payment_event_process(provider="stripe", event=event)
    except PaymentUnavailable:
        return HttpResponse("try again", status=503)  # Stripe retries the event
    return HttpResponse(outcome)


def dev_checkout(request, reference: str):
    """The dev gateway's payment page (only when it is on and Stripe is not configured)."""
    if settings.STRIPE_SECRET_KEY or not settings.PAYMENTS_DEV_GATEWAY:
        raise Http404
    payment = DevPayment.objects.filter(reference=reference).first()
    if payment is None:
        raise Http404
    if request.method == "POST":
        gateway = get_gateway("dev")
        action = request.POST.get("action")
        if payment.status == IntentStatus.REQUIRES_PAYMENT and action in ("pay", "decline"):
            state = (
                gateway.customer_pays(reference)
                if action == "pay"
                else gateway.customer_declines(reference)
            )
            event = gateway.event_for(state, "paid" if action == "pay" else "declined")
            try:
                payment_event_process(provider="dev", event=event)
            except PaymentUnavailable:  # pragma: no cover - the dev gateway is local
                pass
        elif action == "cancel":
            return redirect(payment.cancel_url)
        return redirect(payment.return_url)
    return render(request, "bookings/checkout/dev_checkout.html", {"payment": payment})
