"""Accept and refuse racing on PostgreSQL with real parallel connections."""

import threading

import pytest
from django.db import connection

from bookings.states import OrderStatus
from pending_orders import services
from tests.factories import PendingOrderFactory, SlotFactory


def run_parallel(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_accept_and_refuse_race_one_wins_the_other_gets_a_clear_answer(
    postgres_only, gateway, monkeypatch, round_
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    monkeypatch.setattr(services.dispatch, "dispatch_releases", lambda ids: None)
    order = PendingOrderFactory(slot=SlotFactory(capacity=2))
    artisan = order.slot.workshop.artisan

    accepted, refused = run_parallel(
        lambda: services.orders_accept(artisan=artisan, order_ids=[order.pk]),
        lambda: services.orders_refuse(artisan=artisan, order_ids=[order.pk], message="no"),
    )

    assert not isinstance(accepted, Exception) and not isinstance(refused, Exception)
    order.refresh_from_db()
    if order.status == OrderStatus.CAPTURING:
        assert accepted.done_ids == [order.pk]
        assert refused.errors == {
            str(order.pk): "This order was already accepted; its payment is being captured."
        }
        order.slot.refresh_from_db()
        assert order.slot.seats_taken == 1
    else:
        assert order.status == OrderStatus.REFUSED
        assert refused.done_ids == [order.pk]
        assert accepted.errors == {str(order.pk): "This order was already refused."}
        order.slot.refresh_from_db()
        assert order.slot.seats_taken == 0


@pytest.mark.django_db(transaction=True)
def test_parallel_accepts_never_overfill_a_slot(postgres_only, gateway, monkeypatch):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    slot = SlotFactory(capacity=3)
    orders = [PendingOrderFactory(slot=slot, seats=2) for _ in range(4)]
    artisan = slot.workshop.artisan

    results = run_parallel(
        *[(lambda o=o: services.orders_accept(artisan=artisan, order_ids=[o.pk])) for o in orders]
    )

    assert not any(isinstance(r, Exception) for r in results)
    assert sum(len(r.done_ids) for r in results) == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 2
