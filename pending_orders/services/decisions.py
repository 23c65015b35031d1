"""The artisan's decisions on confirm-first orders: accept, refuse, retry a failed capture (in bulk).

Each locks the slots then the orders (primary-key order), re-checks status and deadline under
the lock, asks bookings to move the orders, records the batch, and publishes captures or
releases after commit.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.services.confirm_first import (
    orders_close_refused,
    orders_restart_capture,
    orders_start_capture,
)
from bookings.states import ActorKind, OrderStatus

from ..models import DecisionBatch
from ..states import DecisionAction
from . import dispatch
from ._common import (
    OPEN_STATUSES,
    Outcome,
    as_actor,
    clean_ids,
    is_overdue,
    lock_orders,
    notify_customer,
    record_batch,
    stamp_states,
    status_reason,
)


def orders_accept(
    *,
    artisan,
    order_ids,
    message: str = "",
    actor=None,
    actor_kind: str = ActorKind.ARTISAN,
    now=None,
) -> DecisionBatch:
    """Accept orders: bookings takes their seats and marks them `capturing`; the captures run in tasks.

    An order that would put its slot over capacity, whose deadline has passed or that is no
    longer awaiting a decision is left as it is, with the reason in the batch.
    """
    now = now or timezone.now()
    ids = clean_ids(order_ids)
    outcome = Outcome([], [], {})
    with transaction.atomic():
        orders, slots = lock_orders(artisan, ids, light=True)
        candidates = []
        for order in orders:
            if order.status in (OrderStatus.CAPTURING, OrderStatus.CONFIRMED):
                outcome.already.append(order.pk)
            elif is_overdue(order, now) or order.status != OrderStatus.AWAITING_CONFIRMATION:
                outcome.errors[order.pk] = status_reason(order, now)
            else:
                candidates.append(order)
        outcome.errors.update(
            orders_start_capture(
                orders=candidates,
                slots=slots,
                actor=as_actor(actor, actor_kind),
                message=message,
                now=now,
            )
        )
        outcome.done = [o for o in candidates if o.pk not in outcome.errors]
        done_ids = [o.pk for o in outcome.done]
        if done_ids:
            stamp_states(done_ids, capture_requested_at=now, capture_claimed_at=None)
            transaction.on_commit(lambda: dispatch.dispatch_captures(done_ids))
        batch = record_batch(
            artisan=artisan,
            actor=actor,
            action=DecisionAction.ACCEPT,
            message=message,
            ids=ids,
            outcome=outcome,
        )
    return batch


def orders_retry_capture(
    *, artisan, order_ids, actor=None, actor_kind: str = ActorKind.ARTISAN, now=None
) -> DecisionBatch:
    """Try a failed capture again (the seats are still held)."""
    now = now or timezone.now()
    ids = clean_ids(order_ids)
    outcome = Outcome([], [], {})
    with transaction.atomic():
        for order in lock_orders(artisan, ids, light=True)[0]:
            if order.status in (OrderStatus.CAPTURING, OrderStatus.CONFIRMED):
                outcome.already.append(order.pk)
            elif order.status != OrderStatus.CAPTURE_FAILED or is_overdue(order, now):
                outcome.errors[order.pk] = status_reason(order, now)
            elif order.authorisation_expires_at and order.authorisation_expires_at <= now:
                outcome.errors[order.pk] = _(
                    "The card authorisation has lapsed: capture is no longer possible."
                )
            else:
                outcome.done.append(order)
        done_ids = [o.pk for o in outcome.done]
        if done_ids:
            orders_restart_capture(orders=outcome.done, actor=as_actor(actor, actor_kind))
            stamp_states(done_ids, capture_requested_at=now, capture_claimed_at=None)
            transaction.on_commit(lambda: dispatch.dispatch_captures(done_ids))
        batch = record_batch(
            artisan=artisan,
            actor=actor,
            action=DecisionAction.RETRY,
            message="",
            ids=ids,
            outcome=outcome,
        )
    return batch


def orders_refuse(
    *,
    artisan,
    order_ids,
    message: str = "",
    actor=None,
    actor_kind: str = ActorKind.ARTISAN,
    now=None,
) -> DecisionBatch:
    """Refuse orders: status refused, email with the artisan's message, hold released after commit."""
    now = now or timezone.now()
    ids = clean_ids(order_ids)
    outcome = Outcome([], [], {})
    with transaction.atomic():
        for order in lock_orders(artisan, ids)[0]:
            if order.status == OrderStatus.REFUSED:
                outcome.already.append(order.pk)
            elif order.status not in OPEN_STATUSES or is_overdue(order, now):
                outcome.errors[order.pk] = status_reason(order, now)
            else:
                outcome.done.append(order)
        orders_close_refused(
            orders=outcome.done, actor=as_actor(actor, actor_kind), message=message, now=now
        )
        for order in outcome.done:
            notify_customer(order, "order_refused", {"message": message})
        done_ids = [o.pk for o in outcome.done]
        batch = record_batch(
            artisan=artisan,
            actor=actor,
            action=DecisionAction.REFUSE,
            message=message,
            ids=ids,
            outcome=outcome,
        )
        if done_ids:
            transaction.on_commit(lambda: dispatch.dispatch_releases(done_ids))
    return batch
