"""A slot never holds more seats than its capacity, with real parallel connections."""

import threading

import pytest
from django.db import connection

from bookings.models import Order, Slot
from bookings.payments import IntentState, IntentStatus
from bookings.services import SoldOut, order_apply_payment_state, order_place
from bookings.states import OrderStatus
from tests.factories import SlotFactory, TicketTypeFactory

CUSTOMERS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_bookings_for_the_last_three_seats(postgres_only):
    slot = SlotFactory(capacity=10)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=7)
    adult = TicketTypeFactory(workshop=slot.workshop)
    barrier = threading.Barrier(CUSTOMERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def customer(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            order = order_place(
                slot_id=slot.pk,
                quantities={adult.pk: 1},
                customer_name=f"Customer {n}",
                customer_email=f"c{n}@example.com",
                customer_phone="",
                language="en",
            )
            outcome = f"ok:{order.pk}"
        except SoldOut as exc:
            outcome = "sold out" if "sold out" in exc.message else f"other: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a failure must show in the assertion
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [o for o in outcomes if o.startswith("ok:")]
    assert len(outcomes) == CUSTOMERS
    assert len(winners) == 3, outcomes
    assert outcomes.count("sold out") == CUSTOMERS - 3, outcomes
    for winner in winners:
        order_apply_payment_state(
            order_id=int(winner[3:]),
            state=IntentState(
                reference="dev_x", status=IntentStatus.SUCCEEDED, amount_cents=5000, currency="EUR"
            ),
        )
    slot.refresh_from_db()
    assert slot.seats_taken == slot.capacity == 10
    assert Order.objects.filter(slot=slot, status=OrderStatus.CONFIRMED).count() == 3
