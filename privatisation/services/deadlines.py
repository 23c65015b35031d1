"""Deadlines: expiry and reminders. The beat jobs call these; pages and services already treat
an overdue row as expired (PrivatisationRequest.is_overdue), the job makes it official.

Both jobs work in batches: one locking query per batch (rows another worker holds are
skipped on PostgreSQL), one update per table, notifications written in bulk. Safe to run
twice or concurrently: the WHERE clause is re-checked under the lock and every message has
an idempotency key.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from bookings.models import Slot
from bookings.services.private_slots import slots_release_held
from bookings.states import OrderStatus

from ..models import Offer, PrivatisationRequest
from ..states import RequestStatus
from . import notify
from ._common import now_utc
from .transitions import requests_move

BATCH_SIZE = 500
MAX_BATCHES = 1000


def overdue_q(now) -> Q:
    overdue = Q(status=RequestStatus.PENDING, respond_by__lte=now) | Q(
        status=RequestStatus.ANSWERED, pay_by__lte=now
    )
    # A customer in the middle of paying keeps the checkout hold (the payment hook closes it).
    paying = Q(order__status=OrderStatus.PENDING_PAYMENT, order__hold_expires_at__gt=now)
    return overdue & ~paying


def _locked_batch(queryset, batch_size):
    kwargs = {"of": ("self",)}
    if connection.features.has_select_for_update_skip_locked:
        kwargs["skip_locked"] = True
    return list(
        queryset.select_for_update(**kwargs)
        .select_related("workshop", "workshop__artisan", "workshop__artisan__user")
        .order_by("pk")[:batch_size]
    )


def lock_offer_slots(requests) -> None:
    """Lock the slots offered to these requests (a queryset), before the requests themselves.

    One lock order everywhere: slot → order → request. Bookings locks a slot, then its order,
    then (through the order hooks) the request; expiring a request updates its offered slots.
    Taking the request first here deadlocked with `release_lapsed_holds` on an abandoned
    checkout (tests/faults/test_lock_order.py).
    """
    list(
        Slot.objects.select_for_update(**_of_self())
        .filter(privatisation_offer__request__in=requests)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _of_self() -> dict:
    return {"of": ("self",)} if connection.features.has_select_for_update_of else {}


def _expirable_batch(queryset, batch_size):
    """Lock a batch of overdue requests, their offered slots first (see `lock_offer_slots`)."""
    candidates = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
    if not candidates:
        return [], 0
    lock_offer_slots(PrivatisationRequest.objects.filter(pk__in=candidates))
    return _locked_batch(queryset.filter(pk__in=candidates), batch_size), len(candidates)


def expire_locked(requests, *, now) -> None:
    """Expire rows already locked by the caller (their offered slots first) and checked overdue."""
    if not requests:
        return
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    answered = [r for r in requests if r.status == RequestStatus.ANSWERED]
    requests_move(requests, RequestStatus.EXPIRED, message=_("The deadline passed."), closed_at=now)
    if answered:
        slots_release_held(
            slot_ids=Offer.objects.filter(request__in=[r.pk for r in answered]).values_list(
                "slot_id", flat=True
            ),
            message=_("The customer did not pay in time."),
            now=now,
        )
    # The customer may send a new request; the artisan learns it is closed.
    notify.bulk_for_requests(pending, "expired_unanswered", customer_sms=True, artisan_email=True)
    notify.bulk_for_requests(
        answered, "expired_unpaid", customer_sms=True, artisan_email=True, artisan_sms=True
    )


def privatisation_expire_overdue(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Expire every request past its deadline. Returns how many this run expired."""
    now = now or now_utc()
    total = 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            rows, candidates = _expirable_batch(
                PrivatisationRequest.objects.filter(overdue_q(now)), batch_size
            )
            expire_locked(rows, now=now)
        total += len(rows)
        # Rows skipped (another worker holds them) end the run; the next minute's run takes them.
        if candidates < batch_size or len(rows) < candidates:
            break
    return total


def privatisation_request_expire(*, request_id: int, now=None) -> bool:
    """Expire one request if it is overdue (same path as the job). True if it expired now."""
    now = now or now_utc()
    with transaction.atomic():
        rows, _candidates = _expirable_batch(
            PrivatisationRequest.objects.filter(overdue_q(now), pk=request_id), 1
        )
        expire_locked(rows, now=now)
    return bool(rows)


def privatisation_send_reminders(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Remind whoever must act, once, REMINDER_HOURS before their deadline."""
    now = now or now_utc()
    horizon = now + timedelta(hours=settings.PRIVATISATION_REMINDER_HOURS)
    due = (
        Q(status=RequestStatus.PENDING, respond_by__gt=now, respond_by__lte=horizon)
        | Q(status=RequestStatus.ANSWERED, pay_by__gt=now, pay_by__lte=horizon)
    ) & Q(reminder_sent_at__isnull=True)
    total = 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            rows = _locked_batch(PrivatisationRequest.objects.filter(due), batch_size)
            if rows:
                PrivatisationRequest.objects.filter(pk__in=[r.pk for r in rows]).update(
                    reminder_sent_at=now
                )
            to_artisan = [r for r in rows if r.status == RequestStatus.PENDING]
            to_customer = [r for r in rows if r.status == RequestStatus.ANSWERED]
            notify.bulk_for_requests(
                to_artisan,
                "reminder_answer",
                customer_email=False,
                artisan_email=True,
                artisan_sms=True,
            )
            notify.bulk_for_requests(to_customer, "reminder_pay", customer_sms=True)
        total += len(rows)
        if len(rows) < batch_size:
            break
    return total
