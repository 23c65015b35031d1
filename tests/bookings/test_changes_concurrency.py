"""Moves and cancellations with real parallel connections (PostgreSQL): seats never oversold,
never counted twice nor lost."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from bookings.models import Order, Slot
from bookings.services import BookingError
from bookings.services.changes import order_cancel, order_rebook
from bookings.states import CUSTOMER, OrderStatus
from tests.factories import OrderFactory, OrderLineFactory, SlotFactory, WorkshopFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run each call in its own thread and connection, released together; returns outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(n, call):
        try:
            barrier.wait(timeout=30)
            call()
            outcomes[n] = "ok"
        except BookingError as exc:
            outcomes[n] = f"refused: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a failure must show in the assertion
            outcomes[n] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _confirmed(slot, **kwargs):
    order = OrderFactory(slot=slot, status=OrderStatus.CONFIRMED, **kwargs)
    OrderLineFactory(order=order, quantity=order.seats)
    return order


def _held_seats(slot_id: int) -> int:
    return sum(
        Order.objects.filter(slot_id=slot_id, holds_seats=True).values_list("seats", flat=True)
    )


def test_two_customers_moving_into_the_last_seat_one_wins(postgres_only):
    workshop = WorkshopFactory()
    first = SlotFactory(workshop=workshop, capacity=4)
    last_seat = SlotFactory(
        workshop=workshop, starts_at=first.starts_at + timedelta(days=2), capacity=2
    )
    _confirmed(last_seat)  # one of the two seats is taken
    movers = [_confirmed(first, customer_email=f"m{n}@example.com") for n in range(2)]

    outcomes = run_together(
        *(
            (lambda o=o: order_rebook(order_id=o.pk, slot_id=last_seat.pk, actor=CUSTOMER))
            for o in movers
        )
    )

    assert sorted(outcomes)[0] == "ok" and sorted(outcomes)[1].startswith("refused"), outcomes
    first.refresh_from_db()
    last_seat.refresh_from_db()
    assert last_seat.seats_taken == last_seat.capacity == 2 == _held_seats(last_seat.pk)
    assert first.seats_taken == 1 == _held_seats(first.pk)


@pytest.mark.parametrize("run", range(3))
def test_a_move_racing_a_cancel_leaves_the_seats_right(postgres_only, run):
    workshop = WorkshopFactory()
    first = SlotFactory(workshop=workshop, capacity=4)
    second = SlotFactory(workshop=workshop, starts_at=first.starts_at + timedelta(days=2))
    order = _confirmed(first, seats=2)

    outcomes = run_together(
        lambda: order_rebook(order_id=order.pk, slot_id=second.pk, actor=CUSTOMER),
        lambda: order_cancel(order_id=order.pk, actor=CUSTOMER),
    )

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and not order.holds_seats
    for slot in (first, second):
        slot.refresh_from_db()
        assert slot.seats_taken == 0, (outcomes, slot)
    assert Slot.objects.filter(seats_taken__gt=0, pk__in=[first.pk, second.pk]).count() == 0
