"""Captures of accepted orders: one task per order calls the gateway outside any transaction.

A capture claimed by a worker is not started again by a duplicate task within CAPTURE_LEASE;
bookings records the capture (once per key) and confirms the order.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Order
from bookings.payments.base import AuthorisationLapsed, IntentStatus, PaymentError
from bookings.selectors.giftcards import order_card_cents
from bookings.services.confirm_first import (
    order_capture_payment,
    order_is_captured,
    order_note_capture_error,
    order_record_capture,
    order_record_capture_failure,
    order_reopen_for_payment,
)
from bookings.services.transitions import for_update
from bookings.states import OrderStatus

from ..models import PendingOrderState
from . import dispatch
from ._common import notify_customer, stamp_states

# A capture claimed by a worker is not started again by a duplicate task within this lease.
CAPTURE_LEASE = timedelta(minutes=5)


def order_capture(*, order_id: int, now=None) -> str:
    """Capture one accepted order's payment, then confirm it. Idempotent.

    A duplicate or retried task finds the order confirmed, or claimed by another worker, or
    the capture already in the ledger: the gateway is called at most once per order (and
    the call carries the key `order:<id>:capture`, so the provider dedupes too).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = for_update(Order.objects.filter(pk=order_id)).first()
        if order is None:
            return "missing"
        if order.status != OrderStatus.CAPTURING:
            return order.status
        state, _created = PendingOrderState.objects.get_or_create(order_id=order_id)
        captured = order_is_captured(order_id)
        if not captured:
            if state.capture_claimed_at and now - state.capture_claimed_at < CAPTURE_LEASE:
                return "in_progress"
            state.capture_claimed_at = now
            state.capture_attempts += 1
            state.save(update_fields=["capture_claimed_at", "capture_attempts"])

    amount = None
    if not captured:
        amount = order_card_cents(order)
        try:
            result = order_capture_payment(order=order, amount_cents=amount)
        except PaymentError as exc:
            if exc.transient:
                # Retried by the task; meanwhile the Pending orders page shows why.
                PendingOrderState.objects.filter(pk=order_id).update(capture_claimed_at=None)
                order_note_capture_error(order_id=order_id, message=exc.message)
                raise
            return order_capture_failed(
                order_id=order_id, reason=exc.message, lapsed=isinstance(exc, AuthorisationLapsed)
            )
        if result.status != IntentStatus.SUCCEEDED:
            lapsed = result.status == IntentStatus.CANCELLED
            reason = result.error or (
                _("The card authorisation has lapsed.")
                if lapsed
                else _("The card was declined at capture.")
            )
            return order_capture_failed(order_id=order_id, reason=reason, lapsed=lapsed)
    order_record_capture(order_id=order_id, amount_cents=amount, holds_seats=order.holds_seats)
    return OrderStatus.CONFIRMED


def order_capture_failed(*, order_id: int, reason: str, lapsed: bool = False) -> str:
    """Record a failed capture: the order shows `capture_failed` with the reason.

    If the authorisation is gone, the customer is sent a payment link with its own deadline.
    """
    with transaction.atomic():
        state, _created = PendingOrderState.objects.get_or_create(order_id=order_id)
        order = order_record_capture_failure(
            order_id=order_id, reason=reason, attempt=state.capture_attempts
        )
        if order is None:
            current = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
            return current or "missing"
        PendingOrderState.objects.filter(pk=order_id).update(capture_claimed_at=None)
    if lapsed:
        order_send_payment_link(order_id=order_id)
    return OrderStatus.CAPTURE_FAILED


def order_send_payment_link(*, order_id: int, now=None) -> str:
    """The hold is gone: bookings opens a new (immediate) payment; its link is emailed, with its own deadline.

    The order goes back to `pending_payment` (its seats stay held) until `hold_expires_at`;
    bookings' payment flow confirms it when paid, or lets it lapse and gives the seats back.
    """
    now = now or timezone.now()
    order = Order.objects.select_related("slot").get(pk=order_id)
    if order.status != OrderStatus.CAPTURE_FAILED:
        return order.status
    deadline = min(
        now + timedelta(hours=settings.PENDING_ORDER_PAYMENT_LINK_HOURS),
        max(order.slot.starts_at, now + timedelta(hours=1)),
    )

    def tell(order, url):
        if url.startswith("/"):
            url = settings.SITE_URL + url
        notify_customer(order, "payment_link", {"pay_url": url, "pay_by": deadline})

    reopened = order_reopen_for_payment(
        order_id=order_id,
        deadline=deadline,
        then=tell,
        return_url=settings.SITE_URL + reverse("storefront:checkout_return", args=[order.token]),
        cancel_url=settings.SITE_URL + reverse("storefront:order", args=[order.token]),
    )
    if reopened is None:
        return Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    return reopened.status


def captures_requeue_stuck(*, now=None, stuck_after=timedelta(minutes=10), limit=500) -> int:
    """Re-publish captures the broker lost or whose worker died. Safe to run twice."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.CAPTURING)
        .filter(
            Q(pending_state__isnull=True)
            | Q(pending_state__capture_requested_at__lt=now - stuck_after)
        )
        .filter(
            Q(pending_state__capture_claimed_at__isnull=True)
            | Q(pending_state__capture_claimed_at__lt=now - CAPTURE_LEASE)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        stamp_states(ids, capture_requested_at=now)
        dispatch.dispatch_captures(ids)
    return len(ids)
