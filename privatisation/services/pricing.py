from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    seat_price_cents: int
    participants: int
    billed_participants: int  # max(participants, private minimum)
    total_cents: int
    currency: str

    @property
    def minimum_applies(self) -> bool:
        return self.billed_participants > self.participants


def private_price(workshop, participants: int) -> Price:
    """The one place the private price is computed: max(participants, minimum) × seat price."""
    participants = max(int(participants), 0)
    billed = max(participants, workshop.private_min_capacity)
    return Price(
        seat_price_cents=workshop.price_cents,
        participants=participants,
        billed_participants=billed,
        total_cents=billed * workshop.price_cents,
        currency=workshop.currency,
    )
