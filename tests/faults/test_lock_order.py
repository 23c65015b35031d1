"""Lock order between privatisation's expiry job and bookings' order paths (PostgreSQL).

Bookings locks a slot, then its order, then (through the order hooks) the privatisation
request: `order_expire_hold` (beat's `release_lapsed_holds`) and a late payment take
slot → order → request. The privatisation expiry job must not take request → slot, or the
two beat jobs, running at the same minute on the same abandoned checkout, deadlock.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bookings.hooks import OrderHandlers, order_hooks
from bookings.models import Slot
from bookings.services import orders_release_lapsed_holds
from bookings.states import OrderStatus, SlotStatus
from notifications.models import Notification
from privatisation.models import PrivatisationRequest
from privatisation.services import deadlines
from privatisation.services.payment import create_order
from privatisation.services.respond import privatisation_request_respond
from privatisation.states import RequestStatus
from tests.factories import WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db(transaction=True)


def abandoned_checkout(workshop):
    """An answered request whose customer opened the checkout and left: hold and pay_by past."""
    request = privatisation_submit(workshop)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=request.pk,
        accept_proposed_ids=[request.proposed_slots.order_by("pk").first().pk],
        offer_starts=[],
        message="Happy to host you.",
        quote=None,
    )
    request.refresh_from_db()
    offer = request.offers.select_related("slot").get()
    with transaction.atomic():
        order = create_order(request=request, slot=offer.slot)
        order.hold_expires_at = timezone.now() - timedelta(minutes=1)
        order.save(update_fields=["hold_expires_at"])
        PrivatisationRequest.objects.filter(pk=request.pk).update(
            order=order, pay_by=timezone.now() - timedelta(minutes=1)
        )
    return request, order, offer.slot


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def assert_expired_once(request, order, slot):
    request.refresh_from_db()
    order.refresh_from_db()
    slot.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert order.status == OrderStatus.EXPIRED and not order.holds_seats
    assert slot.status == SlotStatus.CANCELLED and slot.seats_taken == 0
    notices = Notification.objects.filter(
        idempotency_key__startswith=f"privreq:{request.pk}:expired_unpaid:customer"
    )
    assert notices.count() == 2  # one email, one SMS


def test_expiry_job_and_lapsed_hold_job_in_the_worst_interleaving_do_not_deadlock(
    postgres_only, monkeypatch
):
    """Each job pauses after its first lock, so the other takes its first lock meanwhile."""
    workshop = WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)
    handlers = order_hooks._handlers["privatisation"]

    def slow_closed(order):
        time.sleep(0.3)  # bookings holds the slot and the order here
        handlers.on_closed(order)

    original_expire = deadlines.expire_locked

    def slow_expire(requests, *, now):
        time.sleep(0.3)  # the expiry job holds its locks here
        original_expire(requests, now=now)

    monkeypatch.setitem(
        order_hooks._handlers, "privatisation", OrderHandlers(handlers.on_confirmed, slow_closed)
    )
    monkeypatch.setattr(deadlines, "expire_locked", slow_expire)
    for _ in range(3):
        request, order, slot = abandoned_checkout(workshop)
        errors = run_together(orders_release_lapsed_holds, deadlines.privatisation_expire_overdue)
        assert errors == []
        assert_expired_once(request, order, slot)


def test_expiry_job_and_lapsed_hold_job_run_together_many_times(postgres_only):
    workshop = WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)
    for _ in range(15):
        request, order, slot = abandoned_checkout(workshop)
        errors = run_together(
            orders_release_lapsed_holds,
            deadlines.privatisation_expire_overdue,
            deadlines.privatisation_expire_overdue,
        )
        assert errors == []
        assert_expired_once(request, order, slot)
    assert Slot.objects.filter(seats_taken__gt=0).count() == 0
