"""The beat jobs of the flow: expire orders past their decision deadline, re-send lost releases,
remind the artisan before the deadline, and the digest of new orders.

Each works in short transactions; on PostgreSQL rows another worker holds are skipped. Safe
to run twice: the WHERE clause is re-checked under the lock, every message has a key.
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bookings.models import Order
from bookings.services.confirm_first import orders_expire_decisions, orders_mark_reminded
from bookings.services.transitions import for_update, slots_lock
from bookings.states import OrderStatus, PaymentEventKind

from ..selectors import pending_orders_count
from . import dispatch
from ._common import OPEN_STATUSES, digest, notify_artisan, notify_customer, stamp_states


def orders_expire_overdue(*, now=None, batch_size: int = 200, max_batches: int = 50) -> int:
    """Expire open orders past their decision deadline, in batches. Safe to run twice.

    Each batch is one short transaction; on PostgreSQL rows another worker holds are skipped
    (it is expiring or deciding them). Both sides are told; the holds are released at once.
    """
    now = now or timezone.now()
    total = 0
    for _round in range(max_batches):
        overdue = Order.objects.filter(
            status__in=OPEN_STATUSES, requires_confirmation=True, decide_by__lte=now
        )
        candidates = list(overdue.order_by("pk").values_list("pk", "slot_id")[:batch_size])
        if not candidates:
            break
        with transaction.atomic():
            slots_lock(slot_id for _pk, slot_id in candidates)
            orders = list(
                for_update(
                    overdue.filter(pk__in=[pk for pk, _s in candidates]).order_by("pk"),
                    skip_locked=True,
                ).select_related("slot__workshop__artisan__user")
            )
            orders_expire_decisions(orders=orders, now=now)
            per_artisan = defaultdict(list)
            for order in orders:
                notify_customer(order, "order_expired", {})
                per_artisan[order.slot.workshop.artisan].append(order)
            for artisan, artisan_orders in per_artisan.items():
                notify_artisan(
                    artisan,
                    "orders_expired",
                    {"orders": artisan_orders},
                    key=f"artisan:{artisan.pk}:pending-expired:{digest(o.pk for o in artisan_orders)}:email",
                )
            ids = [o.pk for o in orders]
            transaction.on_commit(lambda ids=ids: dispatch.dispatch_releases(ids))
        total += len(orders)
        if len(candidates) < batch_size or not orders:
            break
    return total


def releases_requeue_missing(*, limit: int = 200) -> int:
    """Re-publish releases that never ran (refused/expired orders with a hold and no ledger row)."""
    ids = list(
        Order.objects.filter(
            requires_confirmation=True,
            status__in=(OrderStatus.REFUSED, OrderStatus.EXPIRED),
            decide_by__isnull=False,
        )
        .exclude(payment_intent_id="")
        .exclude(payment_events__kind__in=(PaymentEventKind.RELEASED, PaymentEventKind.CAPTURED))
        .filter(closed_at__lt=timezone.now() - timedelta(minutes=5))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    dispatch.dispatch_releases(ids)
    return len(ids)


def orders_send_reminders(*, now=None, batch_size: int = 500) -> int:
    """Tell the artisan which orders lapse within PENDING_ORDER_REMINDER_HOURS. Once per order."""
    now = now or timezone.now()
    window = now + timedelta(hours=settings.PENDING_ORDER_REMINDER_HOURS)
    with transaction.atomic():
        orders = list(
            for_update(
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
            notify_artisan(
                artisan,
                "orders_reminder",
                {"orders": artisan_orders},
                key=f"artisan:{artisan.pk}:pending-reminder:{digest(o.pk for o in artisan_orders)}:email",
            )
        orders_mark_reminded(order_ids=[o.pk for o in orders], now=now)
    return len(orders)


def artisans_send_digests(*, now=None, batch_size: int = 1000) -> int:
    """One email per artisan when new orders wait: each order is in one digest only."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        orders = list(
            for_update(
                Order.objects.filter(
                    status=OrderStatus.AWAITING_CONFIRMATION,
                    requires_confirmation=True,
                    decide_by__gt=now,
                )
                .filter(
                    Q(pending_state__isnull=True) | Q(pending_state__digest_sent_at__isnull=True)
                )
                .order_by("pk"),
                skip_locked=True,
            ).select_related("slot__workshop__artisan__user")[:batch_size]
        )
        per_artisan = defaultdict(list)
        for order in orders:
            per_artisan[order.slot.workshop.artisan].append(order)
        for artisan, artisan_orders in per_artisan.items():
            notify_artisan(
                artisan,
                "orders_digest",
                {
                    "orders": artisan_orders,
                    "waiting": pending_orders_count(artisan=artisan, now=now),
                },
                key=f"artisan:{artisan.pk}:pending-digest:{digest(o.pk for o in artisan_orders)}:email",
            )
            sent += 1
        stamp_states([o.pk for o in orders], digest_sent_at=now)
    return sent
