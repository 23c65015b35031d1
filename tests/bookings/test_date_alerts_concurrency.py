"""Date alerts with real parallel connections (PostgreSQL): one row per address however many
submits race, one email per due subscription however many sweeps race, and no date opened
during a sweep is missed or sent twice."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bookings.models import DateAlert
from bookings.services import date_alerts
from bookings.services.date_alerts import (
    ALERT_TEMPLATE,
    CONFIRM_TEMPLATE,
    date_alert_confirm,
    date_alert_subscribe,
    date_alerts_send_due,
)
from bookings.services.slots import slot_create_series
from notifications.models import Notification
from tests.factories import WorkshopFactory


def _parallel(count: int, work) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = f"ok:{work(n)}"
        except Exception as exc:  # noqa: BLE001 - a failure must show in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_submits_of_one_address_give_one_row_and_one_email(postgres_only):
    workshop = WorkshopFactory()
    outcomes = _parallel(
        10,
        lambda n: (
            date_alert_subscribe(workshop_id=workshop.pk, email="Ada@example.com", language="en").pk
        ),
    )
    assert all(o.startswith("ok:") for o in outcomes), outcomes
    assert DateAlert.objects.count() == 1
    assert Notification.objects.filter(template=CONFIRM_TEMPLATE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_parallel_sweeps_send_each_alert_once(postgres_only):
    workshop = WorkshopFactory()
    for n in range(40):
        alert = date_alert_subscribe(
            workshop_id=workshop.pk, email=f"u{n}@example.com", language="en"
        )
        date_alert_confirm(alert_id=alert.pk)
    slot_create_series(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        starts_at=timezone.now() + timedelta(days=30),
        capacity=6,
    )
    later = timezone.now() + timedelta(hours=1)
    outcomes = _parallel(4, lambda n: date_alerts_send_due(now=later, batch_size=7))
    assert all(o.startswith("ok:") for o in outcomes), outcomes
    assert sum(int(o[3:]) for o in outcomes) == 40
    assert Notification.objects.filter(template=ALERT_TEMPLATE).count() == 40
    assert set(DateAlert.objects.values_list("alerts_sent", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dates_opened_while_sweeps_run_are_each_sent_once(postgres_only, monkeypatch):
    """No waiting between alerts here, so every sweep finds work while dates are being opened:
    each subscriber gets every date, in exactly one email."""
    monkeypatch.setattr(date_alerts, "GATHER", timedelta(0))
    monkeypatch.setattr(date_alerts, "ALERT_INTERVAL", timedelta(0))
    workshop = WorkshopFactory()
    for n in range(20):
        alert = date_alert_subscribe(
            workshop_id=workshop.pk, email=f"u{n}@example.com", language="en"
        )
        date_alert_confirm(alert_id=alert.pk)
    opened: list[int] = []
    done = threading.Event()

    def work(n: int) -> int:
        if n == 0:  # the artisan opens three dates (the most alerts a subscription takes)
            for week in range(3):
                [slot] = slot_create_series(
                    artisan=workshop.artisan,
                    workshop_id=workshop.pk,
                    starts_at=timezone.now() + timedelta(days=30 + 7 * week),
                    capacity=6,
                )
                opened.append(slot.pk)
            done.set()
            return 0
        sent = 0
        while not done.is_set():
            sent += date_alerts_send_due(batch_size=3)
        return sent

    outcomes = _parallel(3, work)
    assert all(o.startswith("ok:") for o in outcomes), outcomes
    date_alerts_send_due()
    for alert in DateAlert.objects.all():
        listed = [
            int(pk)
            for body in Notification.objects.filter(
                template=ALERT_TEMPLATE, recipient=alert.email
            ).values_list("body_text", flat=True)
            for pk in re.findall(r"/book/(\d+)/", body)
        ]
        assert sorted(listed) == sorted(opened), alert.email
