"""Confirm-first orders: the artisan accepts or refuses them in bulk; captures, releases,
expiry, reminders and digests.

Every function follows the house shape: lock (orders in primary-key order, then slots),
re-check status and deadline under the lock, write, schedule side effects on commit. The
payment gateway is never called inside a transaction: an accepted order is marked
`capturing` and committed, then a task per order captures and records the outcome.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from bookings.hooks import order_hooks
from bookings.models import Order, PaymentEvent, Slot
from bookings.payments.base import AuthorisationLapsed, IntentStatus, PaymentError
from bookings.states import ORDER_TRANSITIONS, OrderStatus, PaymentEventKind, SlotStatus, can_move
from notifications.services import notification_enqueue
from notifications.states import Channel

from .models import DecisionAction, DecisionBatch, PendingOrderState

logger = logging.getLogger(__name__)

# A capture claimed by a worker is not started again by a duplicate task within this lease.
CAPTURE_LEASE = timedelta(minutes=5)
# Statuses in which the artisan still has a decision to make (or to retry).
OPEN_STATUSES = (OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURE_FAILED)
# Statuses the Pending orders list shows (awaiting ones only before their deadline).
LISTED_STATUSES = (OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURING, OrderStatus.CAPTURE_FAILED)


class PendingOrderError(Exception):
    """A rule said no; `message` is for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OrdersNotFound(PendingOrderError):
    """Some ids are not this artisan's confirm-first orders (views answer 404)."""


def capture_key(order_id: int) -> str:
    """The gateway's idempotency key for the capture of an order."""
    return f"order:{order_id}:capture"


def captured_key(order_id: int) -> str:
    """The ledger row of the capture (bookings' webhook path writes the same key)."""
    return f"order:{order_id}:captured"


def release_key(order_id: int) -> str:
    return f"order:{order_id}:release"


# --- deadlines ------------------------------------------------------------------------------


def decision_deadline(*, authorised_at, authorisation_expires_at):
    """The earlier of the decision window and the authorisation's expiry minus a margin."""
    window = authorised_at + timedelta(hours=settings.PENDING_ORDER_DECISION_HOURS)
    if authorisation_expires_at is None:
        return window
    margin = authorisation_expires_at - timedelta(hours=settings.PENDING_ORDER_AUTH_MARGIN_HOURS)
    return min(window, margin)


def is_overdue(order, now=None) -> bool:
    """Past its decision deadline an open order is expired, whatever the beat job has done."""
    now = now or timezone.now()
    return order.status in OPEN_STATUSES and order.decide_by is not None and order.decide_by <= now


def display_status(order, now=None) -> str:
    """The status a page shows: an overdue order reads as expired at once."""
    return OrderStatus.EXPIRED if is_overdue(order, now) else order.status


# --- helpers --------------------------------------------------------------------------------


def _gateway(provider: str = ""):
    """The adapter the order was authorised with (the configured one if unknown)."""
    from bookings.payments import get_gateway

    return get_gateway(provider or None)


def _order_confirm(order_id: int) -> None:
    from bookings.services.orders import order_confirm

    order_confirm(order_id=order_id)


def _clean_ids(order_ids) -> list[int]:
    try:
        return sorted({int(i) for i in order_ids})
    except (TypeError, ValueError) as exc:
        raise OrdersNotFound(_("Some of these orders do not exist.")) from exc


def _for_update(queryset, *, skip_locked=False):
    if connection.vendor == "postgresql":
        return queryset.select_for_update(of=("self",), skip_locked=skip_locked)
    return queryset.select_for_update()


# What accept and retry read of each order (500 orders: only what the rules need).
DECISION_FIELDS = ("pk", "status", "decide_by", "seats", "slot_id", "holds_seats", "authorisation_expires_at")


def _lock_orders(artisan, ids: list[int], *, light: bool = False) -> tuple[list[Order], dict[int, Slot]]:
    """This artisan's confirm-first orders and their slots, all or not found.

    Lock order as in bookings: the slots first, then the orders, each in primary-key order.
    `light` reads only DECISION_FIELDS (no emails to render).
    """
    mine = Order.objects.filter(pk__in=ids, slot__workshop__artisan=artisan, requires_confirmation=True)
    slot_ids = set(mine.values_list("slot_id", flat=True))
    slots = _lock_slots(slot_ids)
    locked = mine.only(*DECISION_FIELDS) if light else mine.select_related("slot__workshop__artisan")
    orders = list(_for_update(locked.order_by("pk")))
    if not ids or len(orders) != len(ids):
        raise OrdersNotFound(_("Some of these orders do not exist."))
    return orders, slots


def _lock_slots(slot_ids) -> dict[int, Slot]:
    return {s.pk: s for s in _for_update(Slot.objects.filter(pk__in=sorted(slot_ids)).order_by("pk"))}


def _stamp_states(order_ids, **fields) -> None:
    """Create or update the PendingOrderState of each order in one query."""
    if not order_ids:
        return
    PendingOrderState.objects.bulk_create(
        [PendingOrderState(order_id=pk, **fields) for pk in order_ids],
        update_conflicts=True,
        unique_fields=["order"],
        update_fields=list(fields),
    )


def _status_reason(order, now) -> str:
    if is_overdue(order, now):
        return _("The decision deadline has passed: the order has expired.")
    return {
        OrderStatus.REFUSED: _("This order was already refused."),
        OrderStatus.CONFIRMED: _("This order was already accepted."),
        OrderStatus.CAPTURING: _("This order was already accepted; its payment is being captured."),
        OrderStatus.EXPIRED: _("The decision deadline has passed: the order has expired."),
        OrderStatus.CANCELLED: _("This order was cancelled."),
        OrderStatus.CAPTURE_FAILED: _("The payment capture failed; retry it or refuse the order."),
        OrderStatus.PENDING_PAYMENT: _("The customer has been sent a payment link."),
    }.get(order.status, _("This order cannot be changed now."))


def _digest(ids) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()[:16]


def _backoffice_url() -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("pending_orders:list")


def _order_url(order) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return settings.SITE_URL + reverse("storefront:order", args=[order.token])
    except NoReverseMatch:
        return ""


@dataclass
class _Outcome:
    done: list
    already: list
    errors: dict


def _record_batch(*, artisan, actor, action, message, ids, outcome: _Outcome) -> DecisionBatch:
    return DecisionBatch.objects.create(
        artisan=artisan,
        actor=actor,
        action=action,
        message=message,
        order_ids=ids,
        done_ids=[o.pk for o in outcome.done],
        already_ids=outcome.already,
        errors={str(k): v for k, v in outcome.errors.items()},
    )


# --- accept ---------------------------------------------------------------------------------


def orders_accept(*, artisan, order_ids, message: str = "", actor=None, now=None) -> DecisionBatch:
    """Accept orders: take their seats, mark them `capturing`; the captures run in tasks.

    An order that would put its slot over capacity, whose deadline has passed or that is no
    longer awaiting a decision is left as it is, with the reason in the batch.
    """
    now = now or timezone.now()
    ids = _clean_ids(order_ids)
    outcome = _Outcome([], [], {})
    with transaction.atomic():
        orders, slots = _lock_orders(artisan, ids, light=True)
        added = defaultdict(int)
        for order in orders:
            if order.status in (OrderStatus.CAPTURING, OrderStatus.CONFIRMED):
                outcome.already.append(order.pk)
                continue
            if is_overdue(order, now) or not can_move(ORDER_TRANSITIONS, order.status, OrderStatus.CAPTURING) \
                    or order.status != OrderStatus.AWAITING_CONFIRMATION:
                outcome.errors[order.pk] = _status_reason(order, now)
                continue
            slot = slots[order.slot_id]
            left = slot.capacity - slot.seats_taken - added[slot.pk]
            if order.holds_seats:  # seats already counted (never by this flow's rules, but safe)
                outcome.done.append(order)
            elif slot.status == SlotStatus.CANCELLED:
                outcome.errors[order.pk] = _("The session was cancelled.")
            elif slot.starts_at <= now:
                outcome.errors[order.pk] = _("The session has already started.")
            elif order.seats > left:
                outcome.errors[order.pk] = _(
                    "Not enough seats left in the session: %(left)s left, %(seats)s requested."
                ) % {"left": max(left, 0), "seats": order.seats}
            else:
                added[slot.pk] += order.seats
                outcome.done.append(order)
        for slot_id, seats in added.items():
            Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") + seats)
        done_ids = [o.pk for o in outcome.done]
        if done_ids:
            Order.objects.filter(pk__in=done_ids).update(
                status=OrderStatus.CAPTURING, decision_message=message, payment_error="", holds_seats=True
            )
            _stamp_states(done_ids, capture_requested_at=now, capture_claimed_at=None)
        batch = _record_batch(
            artisan=artisan, actor=actor, action=DecisionAction.ACCEPT, message=message, ids=ids, outcome=outcome
        )
        if done_ids:
            transaction.on_commit(lambda: dispatch_captures(done_ids))
    return batch


def orders_retry_capture(*, artisan, order_ids, actor=None, now=None) -> DecisionBatch:
    """Try a failed capture again (the seats are still held)."""
    now = now or timezone.now()
    ids = _clean_ids(order_ids)
    outcome = _Outcome([], [], {})
    with transaction.atomic():
        for order in _lock_orders(artisan, ids, light=True)[0]:
            if order.status in (OrderStatus.CAPTURING, OrderStatus.CONFIRMED):
                outcome.already.append(order.pk)
            elif order.status != OrderStatus.CAPTURE_FAILED or is_overdue(order, now):
                outcome.errors[order.pk] = _status_reason(order, now)
            elif order.authorisation_expires_at and order.authorisation_expires_at <= now:
                outcome.errors[order.pk] = _("The card authorisation has lapsed: capture is no longer possible.")
            else:
                outcome.done.append(order)
        done_ids = [o.pk for o in outcome.done]
        if done_ids:
            Order.objects.filter(pk__in=done_ids).update(status=OrderStatus.CAPTURING, payment_error="")
            _stamp_states(done_ids, capture_requested_at=now, capture_claimed_at=None)
            transaction.on_commit(lambda: dispatch_captures(done_ids))
        batch = _record_batch(
            artisan=artisan, actor=actor, action=DecisionAction.RETRY, message="", ids=ids, outcome=outcome
        )
    return batch


def dispatch_captures(order_ids) -> None:
    """Publish the per-order capture tasks through one task, so a bulk request returns at once.

    A broker that is down is not lost work: `captures_requeue_stuck` re-publishes them.
    """
    from .tasks import dispatch_captures as task

    try:
        task.apply_async(args=[list(order_ids)], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper re-sends
        logger.warning("Broker unavailable; %s captures wait for the sweeper", len(order_ids))


def order_capture(*, order_id: int, now=None) -> str:
    """Capture one accepted order's payment, then confirm it. Idempotent.

    A duplicate or retried task finds the order confirmed, or claimed by another worker, or
    the capture already in the ledger: the gateway is called at most once per order (and
    the call carries the key `order:<id>:capture`, so the provider dedupes too).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = _for_update(Order.objects.filter(pk=order_id)).first()
        if order is None:
            return "missing"
        if order.status != OrderStatus.CAPTURING:
            return order.status
        state, _created = PendingOrderState.objects.get_or_create(order_id=order_id)
        captured = PaymentEvent.objects.filter(order_id=order_id, kind=PaymentEventKind.CAPTURED).exists()
        if not captured:
            if state.capture_claimed_at and now - state.capture_claimed_at < CAPTURE_LEASE:
                return "in_progress"
            state.capture_claimed_at = now
            state.capture_attempts += 1
            state.save(update_fields=["capture_claimed_at", "capture_attempts"])

    if not captured:
        gateway = _gateway(order.payment_provider)
        try:
            result = gateway.capture(
                reference=order.payment_intent_id, amount_cents=order.total_cents, idempotency_key=capture_key(order_id)
            )
        except PaymentError as exc:
            if exc.transient:
                # Retried by the task; meanwhile the Pending orders page shows why.
                PendingOrderState.objects.filter(pk=order_id).update(capture_claimed_at=None)
                Order.objects.filter(pk=order_id, status=OrderStatus.CAPTURING).update(payment_error=exc.message[:2000])
                raise
            return order_capture_failed(order_id=order_id, reason=exc.message, lapsed=isinstance(exc, AuthorisationLapsed))
        if result.status != IntentStatus.SUCCEEDED:
            lapsed = result.status == IntentStatus.CANCELLED
            reason = result.error or (
                _("The card authorisation has lapsed.") if lapsed else _("The card was declined at capture.")
            )
            return order_capture_failed(order_id=order_id, reason=reason, lapsed=lapsed)
        with transaction.atomic():
            PaymentEvent.objects.get_or_create(
                idempotency_key=captured_key(order_id),
                defaults={
                    "order_id": order_id,
                    "kind": PaymentEventKind.CAPTURED,
                    "amount_cents": order.total_cents,
                    "currency": order.currency,
                    "provider": gateway.name,
                    "provider_ref": order.payment_intent_id,
                },
            )
    _order_confirm(order_id)
    return OrderStatus.CONFIRMED


def order_capture_failed(*, order_id: int, reason: str, lapsed: bool = False) -> str:
    """Record a failed capture: the order shows `capture_failed` with the reason.

    If the authorisation is gone, the customer is sent a payment link with its own deadline.
    """
    with transaction.atomic():
        order = _for_update(Order.objects.filter(pk=order_id)).first()
        if order is None or order.status != OrderStatus.CAPTURING:
            return order.status if order else "missing"
        order.status = OrderStatus.CAPTURE_FAILED
        order.payment_error = reason[:2000]
        order.save(update_fields=["status", "payment_error"])
        state, _created = PendingOrderState.objects.get_or_create(order_id=order_id)
        PaymentEvent.objects.get_or_create(
            idempotency_key=f"{capture_key(order_id)}:failed:{state.capture_attempts}",
            defaults={
                "order": order,
                "kind": PaymentEventKind.FAILED,
                "amount_cents": order.total_cents,
                "currency": order.currency,
                "provider": order.payment_provider or "unknown",
                "provider_ref": order.payment_intent_id,
                "detail": reason[:2000],
            },
        )
        state.capture_claimed_at = None
        state.save(update_fields=["capture_claimed_at"])
    if lapsed:
        order_send_payment_link(order_id=order_id)
    return OrderStatus.CAPTURE_FAILED


def order_send_payment_link(*, order_id: int, now=None) -> str:
    """The hold is gone: open a new (immediate) payment and email its link, with its own deadline.

    The order goes back to `pending_payment` (its seats stay held) until
    `hold_expires_at`; bookings' payment flow confirms it when paid, or lets it lapse and
    gives the seats back.
    """
    from django.urls import reverse

    now = now or timezone.now()
    order = Order.objects.select_related("slot__workshop").get(pk=order_id)
    if order.status != OrderStatus.CAPTURE_FAILED:
        return order.status
    gateway = _gateway(order.payment_provider)
    workshop = order.slot.workshop
    starts = timezone.localtime(order.slot.starts_at, workshop.tzinfo)
    try:
        session = gateway.create_payment(
            amount_cents=order.total_cents,
            currency=order.currency,
            description=f"{workshop.title} — {starts:%Y-%m-%d %H:%M} — {order.seats} × ({order.reference})",
            manual_capture=False,
            customer_email=order.customer_email,
            return_url=settings.SITE_URL + reverse("storefront:checkout_return", args=[order.token]),
            cancel_url=settings.SITE_URL + reverse("storefront:order", args=[order.token]),
            metadata={"order_id": order.pk, "reference": order.reference},
            idempotency_key=f"order:{order.pk}:payment-link",
        )
    except PaymentError as exc:
        logger.warning("No payment link for order %s: %s", order_id, exc.message)
        return order.status
    url = session.redirect_url
    if url.startswith("/"):
        url = settings.SITE_URL + url
    deadline = min(
        now + timedelta(hours=settings.PENDING_ORDER_PAYMENT_LINK_HOURS),
        max(order.slot.starts_at, now + timedelta(hours=1)),
    )
    with transaction.atomic():
        order = _for_update(Order.objects.filter(pk=order_id).select_related("slot__workshop")).get()
        if order.status != OrderStatus.CAPTURE_FAILED or not can_move(
            ORDER_TRANSITIONS, order.status, OrderStatus.PENDING_PAYMENT
        ):
            return order.status
        order.status = OrderStatus.PENDING_PAYMENT
        order.payment_provider = session.provider
        order.payment_intent_id = session.reference
        order.hold_expires_at = deadline
        order.save(update_fields=["status", "payment_provider", "payment_intent_id", "hold_expires_at"])
        _notify_customer(order, "payment_link", {"pay_url": url, "pay_by": deadline})
    return order.status


def captures_requeue_stuck(*, now=None, stuck_after=timedelta(minutes=10), limit=500) -> int:
    """Re-publish captures the broker lost or whose worker died. Safe to run twice."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=OrderStatus.CAPTURING)
        .filter(
            Q(pending_state__isnull=True)
            | Q(pending_state__capture_requested_at__lt=now - stuck_after)
        )
        .filter(Q(pending_state__capture_claimed_at__isnull=True) | Q(pending_state__capture_claimed_at__lt=now - CAPTURE_LEASE))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        _stamp_states(ids, capture_requested_at=now)
        dispatch_captures(ids)
    return len(ids)


# --- refuse, expire, release ----------------------------------------------------------------


def _release_seats(orders) -> None:
    """Give back the seats of orders that hold some (capture failed after accept), once.

    The caller holds the slot locks.
    """
    seats = defaultdict(int)
    for order in orders:
        if order.holds_seats:
            seats[order.slot_id] += order.seats
            order.holds_seats = False
    for slot_id, n in seats.items():
        Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") - n)


def orders_refuse(*, artisan, order_ids, message: str = "", actor=None, now=None) -> DecisionBatch:
    """Refuse orders: status refused, email with the artisan's message, hold released after commit."""
    now = now or timezone.now()
    ids = _clean_ids(order_ids)
    outcome = _Outcome([], [], {})
    with transaction.atomic():
        for order in _lock_orders(artisan, ids)[0]:
            if order.status == OrderStatus.REFUSED:
                outcome.already.append(order.pk)
            elif order.status not in OPEN_STATUSES or is_overdue(order, now):
                outcome.errors[order.pk] = _status_reason(order, now)
            else:
                outcome.done.append(order)
        _release_seats(outcome.done)
        done_ids = [o.pk for o in outcome.done]
        Order.objects.filter(pk__in=done_ids).update(
            status=OrderStatus.REFUSED, decision_message=message, closed_at=now, holds_seats=False
        )
        for order in outcome.done:
            order.status, order.decision_message, order.closed_at = OrderStatus.REFUSED, message, now
            order_hooks.closed(order)
            _notify_customer(order, "order_refused", {"message": message})
        batch = _record_batch(
            artisan=artisan, actor=actor, action=DecisionAction.REFUSE, message=message, ids=ids, outcome=outcome
        )
        if done_ids:
            transaction.on_commit(lambda: dispatch_releases(done_ids))
    return batch


def orders_expire_overdue(*, now=None, batch_size: int = 200, max_batches: int = 50) -> int:
    """Expire open orders past their decision deadline, in batches. Safe to run twice.

    Each batch is one short transaction; on PostgreSQL rows another worker holds are skipped
    (it is expiring or deciding them). Both sides are told; the holds are released at once.
    """
    now = now or timezone.now()
    total = 0
    for _round in range(max_batches):
        overdue = Order.objects.filter(status__in=OPEN_STATUSES, requires_confirmation=True, decide_by__lte=now)
        candidates = list(overdue.order_by("pk").values_list("pk", "slot_id")[:batch_size])
        if not candidates:
            break
        with transaction.atomic():
            _lock_slots({slot_id for _pk, slot_id in candidates})
            orders = list(
                _for_update(overdue.filter(pk__in=[pk for pk, _s in candidates]).order_by("pk"), skip_locked=True)
                .select_related("slot__workshop__artisan__user")
            )
            _release_seats(orders)
            ids = [o.pk for o in orders]
            Order.objects.filter(pk__in=ids).update(status=OrderStatus.EXPIRED, closed_at=now, holds_seats=False)
            per_artisan = defaultdict(list)
            for order in orders:
                order.status, order.closed_at = OrderStatus.EXPIRED, now
                order_hooks.closed(order)
                _notify_customer(order, "order_expired", {})
                per_artisan[order.slot.workshop.artisan].append(order)
            for artisan, artisan_orders in per_artisan.items():
                _notify_artisan(
                    artisan, "orders_expired", {"orders": artisan_orders},
                    key=f"artisan:{artisan.pk}:pending-expired:{_digest(o.pk for o in artisan_orders)}:email",
                )
            transaction.on_commit(lambda ids=ids: dispatch_releases(ids))
        total += len(orders)
        if len(candidates) < batch_size or not orders:
            break
    return total


def dispatch_releases(order_ids) -> None:
    from .tasks import release_authorisation

    for pk in order_ids:
        try:
            release_authorisation.apply_async(args=[pk], retry=False)
        except Exception:  # noqa: BLE001 - the sweeper in expire_overdue re-sends
            logger.warning("Broker unavailable; release of order %s waits for the sweeper", pk)


def order_release_authorisation(*, order_id: int) -> str:
    """Cancel the card hold of a refused/expired order (never charged). Idempotent."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "missing"
    if order.status not in (OrderStatus.REFUSED, OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        return "not_closed"
    if order.decide_by is None:
        return "not_ours"  # never waited for the artisan: bookings settles its payment
    if not order.payment_intent_id or PaymentEvent.objects.filter(idempotency_key=release_key(order_id)).exists():
        return "done"
    if PaymentEvent.objects.filter(order_id=order_id, kind=PaymentEventKind.CAPTURED).exists():
        return "captured"  # never happens by the state table; a refund is ops' decision
    gateway = _gateway(order.payment_provider)
    detail = ""
    try:
        gateway.cancel(reference=order.payment_intent_id, idempotency_key=release_key(order_id))
    except AuthorisationLapsed as exc:
        detail = exc.message  # already gone: nothing is held
    except PaymentError as exc:
        if exc.transient:
            raise
        if _refund_unseen_capture(gateway, order):
            return "refunded"
        detail = exc.message
        logger.warning("Release of order %s failed: %s", order_id, exc.message)
    PaymentEvent.objects.get_or_create(
        idempotency_key=release_key(order_id),
        defaults={
            "order": order,
            "kind": PaymentEventKind.RELEASED,
            "amount_cents": order.total_cents,
            "currency": order.currency,
            "provider": gateway.name,
            "provider_ref": order.payment_intent_id,
            "detail": detail,
        },
    )
    return "released"


def _refund_unseen_capture(gateway, order) -> bool:
    """The hold cannot be released because the card was charged after all: a capture that
    timed out after the provider took it, then gave up (capture_failed), then the order was
    refused or expired. Record the charge and give the money back. True if refunded.
    """
    try:
        state = gateway.retrieve(order.payment_intent_id)
    except PaymentError as exc:
        if exc.transient:
            raise
        return False
    if state.status != IntentStatus.SUCCEEDED:
        return False
    common = {"order": order, "amount_cents": order.total_cents, "currency": order.currency, "provider": gateway.name}
    PaymentEvent.objects.get_or_create(
        idempotency_key=captured_key(order.pk),
        defaults={**common, "kind": PaymentEventKind.CAPTURED, "provider_ref": order.payment_intent_id},
    )
    key = f"order:{order.pk}:refund"  # bookings' key for a refund: one refund per order
    refund_id = gateway.refund(reference=order.payment_intent_id, amount_cents=order.total_cents, idempotency_key=key)
    PaymentEvent.objects.get_or_create(
        idempotency_key=key,
        defaults={**common, "kind": PaymentEventKind.REFUNDED, "provider_ref": refund_id,
                  "detail": "charged by a capture that timed out; refunded when the order closed"},
    )
    logger.warning("Order %s was charged by a capture that timed out; refunded", order.pk)
    return True


def releases_requeue_missing(*, limit: int = 200) -> int:
    """Re-publish releases that never ran (refused/expired orders with a hold and no ledger row)."""
    ids = list(
        Order.objects.filter(
            requires_confirmation=True, status__in=(OrderStatus.REFUSED, OrderStatus.EXPIRED), decide_by__isnull=False
        )
        .exclude(payment_intent_id="")
        .exclude(payment_events__kind__in=(PaymentEventKind.RELEASED, PaymentEventKind.CAPTURED))
        .filter(closed_at__lt=timezone.now() - timedelta(minutes=5))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    dispatch_releases(ids)
    return len(ids)


# --- reminders and digests ------------------------------------------------------------------


def orders_send_reminders(*, now=None, batch_size: int = 500) -> int:
    """Tell the artisan which orders lapse within PENDING_ORDER_REMINDER_HOURS. Once per order."""
    now = now or timezone.now()
    window = now + timedelta(hours=settings.PENDING_ORDER_REMINDER_HOURS)
    with transaction.atomic():
        orders = list(
            _for_update(
                Order.objects.filter(
                    status=OrderStatus.AWAITING_CONFIRMATION,
                    requires_confirmation=True,
                    decide_by__gt=now,
                    decide_by__lte=window,
                    reminder_sent_at__isnull=True,
                ).order_by("pk"),
                skip_locked=True,
            ).select_related("slot__workshop__artisan__user")[:batch_size]
        )
        per_artisan = defaultdict(list)
        for order in orders:
            per_artisan[order.slot.workshop.artisan].append(order)
        for artisan, artisan_orders in per_artisan.items():
            _notify_artisan(
                artisan, "orders_reminder", {"orders": artisan_orders},
                key=f"artisan:{artisan.pk}:pending-reminder:{_digest(o.pk for o in artisan_orders)}:email",
            )
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(reminder_sent_at=now)
    return len(orders)


def artisans_send_digests(*, now=None, batch_size: int = 1000) -> int:
    """One email per artisan when new orders wait: each order is in one digest only."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        orders = list(
            _for_update(
                Order.objects.filter(
                    status=OrderStatus.AWAITING_CONFIRMATION, requires_confirmation=True, decide_by__gt=now
                )
                .filter(Q(pending_state__isnull=True) | Q(pending_state__digest_sent_at__isnull=True))
                .order_by("pk"),
                skip_locked=True,
            ).select_related("slot__workshop__artisan__user")[:batch_size]
        )
        per_artisan = defaultdict(list)
        for order in orders:
            per_artisan[order.slot.workshop.artisan].append(order)
        for artisan, artisan_orders in per_artisan.items():
            from .selectors import pending_orders_count

            _notify_artisan(
                artisan, "orders_digest",
                {"orders": artisan_orders, "waiting": pending_orders_count(artisan=artisan, now=now)},
                key=f"artisan:{artisan.pk}:pending-digest:{_digest(o.pk for o in artisan_orders)}:email",
            )
            sent += 1
        _stamp_states([o.pk for o in orders], digest_sent_at=now)
    return sent


# --- notifications --------------------------------------------------------------------------


def _notify_customer(order, name: str, extra: dict) -> None:
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=order.customer_email,
        template=f"pending_orders/emails/{name}",
        context={"order": order, "slot": order.slot, "workshop": order.slot.workshop, "order_url": _order_url(order), **extra},
        language=order.language,
        key=f"order:{order.pk}:{name}:email",
    )


def _notify_artisan(artisan, name: str, context: dict, *, key: str) -> None:
    with override(artisan.language):
        url = _backoffice_url()
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=artisan.email,
        template=f"pending_orders/emails/{name}",
        context={"artisan": artisan, "list_url": url, **context},
        language=artisan.language,
        key=key,
    )
