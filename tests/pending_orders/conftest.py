"""A fake payment gateway at the adapter boundary."""

import pytest

from bookings.payments.base import IntentState, IntentStatus
from bookings.services import confirm_first, refunds


class FakeGateway:
    """Records calls; `fail_capture` / `fail_cancel` make the next calls raise."""

    name = "fake"

    def __init__(self):
        self.captures, self.cancels = [], []
        self.fail_capture = None
        self.fail_cancel = None

    def capture(self, *, reference, amount_cents, idempotency_key):
        self.captures.append((reference, amount_cents, idempotency_key))
        if self.fail_capture:
            raise self.fail_capture
        return IntentState(
            reference=reference,
            status=IntentStatus.SUCCEEDED,
            amount_cents=amount_cents,
            currency="EUR",
        )

    def cancel(self, *, reference, idempotency_key):
        self.cancels.append((reference, idempotency_key))
        if self.fail_cancel:
            raise self.fail_cancel
        return IntentState(
            reference=reference, status=IntentStatus.CANCELLED, amount_cents=0, currency="EUR"
        )

    def retrieve(self, reference):
        return IntentState(
            reference=reference, status=IntentStatus.AUTHORISED, amount_cents=0, currency="EUR"
        )


@pytest.fixture
def gateway(monkeypatch):
    """The fake gateway wherever bookings' confirm-first and refund services ask for one."""
    fake = FakeGateway()
    monkeypatch.setattr(confirm_first, "get_gateway", lambda provider=None: fake)
    monkeypatch.setattr(refunds, "get_gateway", lambda provider=None: fake)
    return fake
