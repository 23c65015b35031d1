"""Parallel clients on PostgreSQL: the minimum sweep and the reminders run twice at once, and an
artisan's tap racing the system's cancellation at the decision time."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bookings.models import Slot
from bookings.services.errors import BookingError
from bookings.services.minimum import slot_minimum_decide, slots_minimum_check, slots_minimum_expire
from bookings.services.reminders import orders_send_reminders
from bookings.states import Actor, MinimumDecision, SlotStatus
from notifications.models import Notification
from tests.factories import OrderFactory, SlotFactory, WorkshopFactory


def in_parallel(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except BookingError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _slots(n, start):
    workshop = WorkshopFactory(min_participants=3)
    slots = [SlotFactory(workshop=workshop, starts_at=start + timedelta(hours=i)) for i in range(n)]
    for slot in slots:
        OrderFactory(slot=slot, seats=1)
    return slots


@pytest.mark.django_db(transaction=True)
def test_two_minimum_sweeps_at_once_ask_each_artisan_once(postgres_only):
    now = timezone.now()
    _slots(20, now + timedelta(days=5))
    asked = in_parallel(
        lambda: slots_minimum_check(now=now, batch_size=5),
        lambda: slots_minimum_check(now=now, batch_size=5),
    )
    assert sum(asked) == 20
    assert Notification.objects.filter(idempotency_key__startswith="slot:").count() == 40
    assert not Slot.objects.filter(min_decide_by__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_reminder_sweeps_at_once_remind_each_order_once(postgres_only):
    now = timezone.now()
    _slots(10, now + timedelta(hours=30))
    sent = in_parallel(
        lambda: orders_send_reminders(now=now, batch_size=3),
        lambda: orders_send_reminders(now=now, batch_size=3),
    )
    assert sum(s["start"] for s in sent) == 10
    rows = Notification.objects.filter(template="bookings/emails/order_reminder_start")
    assert rows.count() == 20  # an email and an SMS per order


@pytest.mark.django_db(transaction=True)
def test_an_artisans_tap_racing_the_system_cancel_gives_one_outcome(postgres_only):
    now = timezone.now()
    [slot] = _slots(1, now + timedelta(days=5))
    slots_minimum_check(now=now)
    slot.refresh_from_db()
    artisan = Actor.artisan(slot.workshop.artisan.user)
    results = in_parallel(
        lambda: slot_minimum_decide(
            slot_id=slot.pk, uphold=True, actor=artisan, now=slot.min_decide_by
        ),
        lambda: slots_minimum_expire(now=slot.min_decide_by),
    )
    slot.refresh_from_db()
    # At the decision time the artisan is too late: the system's cancellation wins, once.
    assert isinstance(results[0], BookingError) or results[0].min_decision
    assert slot.status == SlotStatus.CANCELLED and slot.min_decision == MinimumDecision.EXPIRED
    assert slot.status_changes.filter(to_status=SlotStatus.CANCELLED).count() == 1
