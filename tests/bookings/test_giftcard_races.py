"""A gift card is never spent twice: parallel checkouts on real PostgreSQL connections."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from bookings.models import GiftCard, Order
from bookings.services import BookingError, order_place
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.states import GiftCardEntryKind
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

CUSTOMERS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_redemptions_of_one_card_never_overspend(postgres_only):
    slot = SlotFactory(capacity=CUSTOMERS, workshop=WorkshopFactory(price_cents=1000))
    seat = TicketTypeFactory(workshop=slot.workshop, price_cents=1000)
    card = giftcard_create(amount_cents=10000, buyer_name="Ada", buyer_email="ada@example.com")
    card = giftcard_issue(gift_card_id=card.pk)
    barrier = threading.Barrier(CUSTOMERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def customer(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            order_place(
                slot_id=slot.pk,
                quantities={seat.pk: 1},
                customer_name=f"Customer {n}",
                customer_email=f"c{n}@example.com",
                gift_card_code=card.display_code.lower(),
                gift_card_cents=1000,  # what each was shown: the card pays the whole seat
            )
            outcome = "ok"
        except BookingError as exc:
            outcome = (
                "told" if "left" in exc.message or "nothing left" in exc.message else exc.message
            )
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
        thread.join(timeout=90)

    assert len(outcomes) == CUSTOMERS
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("told") == CUSTOMERS - 10, outcomes
    card.refresh_from_db()
    ledger = card.entries.aggregate(s=Sum("amount_cents"))["s"]
    assert card.balance_cents == ledger == 0
    reserved = -card.entries.filter(kind=GiftCardEntryKind.RESERVE).aggregate(
        s=Sum("amount_cents")
    )["s"]
    assert reserved == card.amount_cents == 10000
    assert Order.objects.filter(slot=slot).count() == 10
    assert GiftCard.objects.filter(balance_cents__lt=0).count() == 0
