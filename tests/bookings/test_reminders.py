"""Customer reminders: last day of free changes, and 48 hours before the workshop; once each."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import Order
from bookings.services.reminders import orders_send_reminders
from bookings.states import OrderStatus, SlotStatus
from notifications.models import Notification
from tests.factories import OrderFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
DEADLINE = START - timedelta(days=4)  # the workshop's default change deadline
CHANGE = "bookings/emails/order_reminder_change"
START_T = "bookings/emails/order_reminder_start"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def slot():
    workshop = WorkshopFactory(
        practical_info="Bring an apron and closed shoes.", address="12 rue des Potiers"
    )
    return SlotFactory(workshop=workshop, starts_at=START, ends_at=START + timedelta(hours=2))


def sent(template, order=None):
    rows = Notification.objects.filter(template=template)
    if order is not None:
        rows = rows.filter(idempotency_key__startswith=f"order:{order.pk}:")
    return rows


def test_last_free_day_reminder_goes_24_hours_before_the_deadline_once(slot):
    order = OrderFactory(slot=slot)
    assert orders_send_reminders(now=DEADLINE - timedelta(hours=24, minutes=1))["change"] == 0
    assert orders_send_reminders(now=DEADLINE - timedelta(hours=24))["change"] == 1
    assert orders_send_reminders(now=DEADLINE - timedelta(hours=12))["change"] == 0
    rows = sent(CHANGE, order)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]
    email = rows.get(channel="email")
    assert email.recipient == order.customer_email and "Free changes end on" in email.body_text
    order.refresh_from_db()
    assert order.change_reminder_sent_at == DEADLINE - timedelta(hours=24)


def test_no_last_free_day_reminder_once_changes_are_no_longer_possible(slot):
    OrderFactory(slot=slot)
    # The beat was down through the last day: past the deadline, nothing is said.
    assert orders_send_reminders(now=DEADLINE + timedelta(minutes=1))["change"] == 0
    assert not sent(CHANGE).exists()


def test_the_48_hour_reminder_has_the_address_what_to_bring_and_the_calendar(slot):
    order = OrderFactory(slot=slot)
    assert orders_send_reminders(now=START - timedelta(hours=48, minutes=1))["start"] == 0
    assert orders_send_reminders(now=START - timedelta(hours=48))["start"] == 1
    assert orders_send_reminders(now=START - timedelta(hours=47))["start"] == 0
    email = sent(START_T, order).get(channel="email")
    assert "12 rue des Potiers" in email.body_text
    assert "Bring an apron and closed shoes." in email.body_text
    assert f"/o/{order.token}/calendar.ics" in email.body_text
    assert f"/o/{order.token}/calendar.ics" in email.body_html
    assert sent(START_T, order).filter(channel="sms").count() == 1


@pytest.mark.parametrize(
    "status",
    [OrderStatus.CANCELLED, OrderStatus.AWAITING_CONFIRMATION, OrderStatus.PENDING_PAYMENT],
)
def test_only_confirmed_orders_are_reminded(slot, status):
    OrderFactory(slot=slot, status=status)
    for when in (DEADLINE - timedelta(hours=1), START - timedelta(hours=1)):
        assert orders_send_reminders(now=when) == {"change": 0, "start": 0}
    assert not Notification.objects.exists()


def test_orders_of_a_cancelled_slot_are_not_reminded(slot):
    OrderFactory(slot=slot)
    slot.status = SlotStatus.CANCELLED
    slot.save()
    assert orders_send_reminders(now=START - timedelta(hours=1)) == {"change": 0, "start": 0}


def test_no_phone_means_email_only_and_french_customers_read_french(slot):
    order = OrderFactory(slot=slot, customer_phone="", language="fr")
    orders_send_reminders(now=START - timedelta(hours=1))
    rows = sent(START_T, order)
    assert list(rows.values_list("channel", flat=True)) == ["email"]
    assert rows.get().language == "fr" and "Adresse" not in rows.get().subject
    assert "Informations pratiques" in rows.get().body_text


def test_each_reminder_once_even_when_both_windows_are_open(slot):
    slot.workshop.change_deadline_days = 1
    slot.workshop.save()
    order = OrderFactory(slot=slot)
    now = START - timedelta(hours=40)  # 16 hours before the deadline, 40 before the start
    assert orders_send_reminders(now=now) == {"change": 1, "start": 1}
    assert orders_send_reminders(now=now + timedelta(minutes=5)) == {"change": 0, "start": 0}
    assert (
        Notification.objects.filter(idempotency_key__startswith=f"order:{order.pk}:").count() == 4
    )


def test_dst_week_reminders_keep_their_absolute_hours():
    # Clocks go back in Paris on 25 October 2026; a Monday 10:00 workshop the day after.
    workshop = WorkshopFactory(timezone="Europe/Paris", change_deadline_days=4)
    start = datetime(2026, 10, 26, 10, 0, tzinfo=PARIS)
    slot = SlotFactory(workshop=workshop, starts_at=start, ends_at=start + timedelta(hours=2))
    order = OrderFactory(slot=slot)
    slot.refresh_from_db()  # as stored: UTC (Python's arithmetic on a Paris time is wall-clock)
    deadline = workshop.change_deadline(slot.starts_at)
    assert deadline == start.astimezone(UTC) - timedelta(hours=96)
    assert orders_send_reminders(now=deadline - timedelta(hours=24, seconds=1))["change"] == 0
    assert orders_send_reminders(now=deadline - timedelta(hours=24))["change"] == 1
    # 48 hours before the start is 11:00 on Saturday (the clocks go back in between).
    saturday = datetime(2026, 10, 24, 11, 0, tzinfo=PARIS)
    assert saturday == start.astimezone(UTC) - timedelta(hours=48)
    assert orders_send_reminders(now=saturday - timedelta(seconds=1))["start"] == 0
    assert orders_send_reminders(now=saturday)["start"] == 1
    email = sent(CHANGE, order).get(channel="email")
    # The deadline is shown on the workshop's clock: Thursday 22 October, 11:00 (summer time).
    assert "11:00" in email.body_text and "22" in email.body_text


def test_batches_cover_every_order(slot):
    orders = [OrderFactory(slot=slot) for _ in range(5)]
    assert orders_send_reminders(now=START - timedelta(hours=1), batch_size=2)["start"] == 5
    assert Order.objects.filter(start_reminder_sent_at__isnull=True).count() == 0
    assert sent(START_T).filter(channel="email").count() == len(orders)
