"""Two callers enqueue the same event at once, from separate PostgreSQL connections."""

import threading
import time

import pytest
from django.db import connection, transaction

from notifications import services
from notifications.models import Notification
from notifications.services import notification_enqueue, notification_send


def _in_thread(target):
    """Run `target` on its own database connection; keep what it returns or raises."""
    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_callers_with_the_same_key_make_one_row_and_one_publish(
    postgres_only, enqueue_kwargs, monkeypatch
):
    published = []
    monkeypatch.setattr(services, "publish", lambda pk: published.append(pk))
    first_wrote = threading.Event()
    second_started = threading.Event()
    waited = []

    def first():
        with transaction.atomic():
            notification = notification_enqueue(**enqueue_kwargs())
            first_wrote.set()
            # Hold the transaction open until the second caller is blocked on our row.
            second_started.wait(5)
            threading.Event().wait(0.5)
        return notification.pk

    def second():
        first_wrote.wait(5)
        with transaction.atomic():
            second_started.set()
            # Our pre-check cannot see the uncommitted row: the INSERT waits on the unique
            # index until the first commits, fails, and get_or_create returns the first's row.
            started = time.monotonic()
            notification = notification_enqueue(**enqueue_kwargs(recipient="other@example.com"))
            waited.append(time.monotonic() - started)
        return notification.pk

    threads = [_in_thread(first), _in_thread(second)]
    for thread, _ in threads:
        thread.join(15)
    (_, a), (_, b) = threads
    assert "error" not in a and "error" not in b, (a, b)
    assert a["value"] == b["value"]
    assert Notification.objects.count() == 1
    assert Notification.objects.get().recipient == "ada@example.com"
    assert published == [a["value"]]
    assert waited[0] > 0.3  # the second really raced: it waited on the first's uncommitted row


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_row_at_once_send_it_once(
    postgres_only, enqueue_kwargs, monkeypatch
):
    calls = []
    inside = threading.Event()

    def slow_channel(notification):
        calls.append(notification.pk)
        inside.set()
        threading.Event().wait(0.5)  # the second worker arrives while we are at the provider
        return "provider-1"

    monkeypatch.setitem(services.channels.SENDERS, "email", slow_channel)
    monkeypatch.setattr(services, "publish", lambda pk: None)
    pk = notification_enqueue(**enqueue_kwargs()).pk

    def worker():
        return notification_send(notification_id=pk)

    t1 = _in_thread(worker)
    inside.wait(5)
    t2 = _in_thread(worker)
    for thread, _ in (t1, t2):
        thread.join(15)
    assert sorted([t1[1]["value"], t2[1]["value"]]) == ["sending", "sent"]
    assert calls == [pk]
    assert Notification.objects.get(pk=pk).status == "sent"
