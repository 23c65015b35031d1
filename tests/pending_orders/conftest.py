"""A fake payment gateway at the adapter boundary, and the confirm step of bookings."""

import pytest

from bookings.payments.base import IntentState, IntentStatus
from pending_orders import services


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
        return IntentState(reference=reference, status=IntentStatus.SUCCEEDED, amount_cents=amount_cents, currency="EUR")

    def cancel(self, *, reference, idempotency_key):
        self.cancels.append((reference, idempotency_key))
        if self.fail_cancel:
            raise self.fail_cancel
        return IntentState(reference=reference, status=IntentStatus.CANCELLED, amount_cents=0, currency="EUR")

    def retrieve(self, reference):
        return IntentState(reference=reference, status=IntentStatus.AUTHORISED, amount_cents=0, currency="EUR")


@pytest.fixture
def gateway(monkeypatch):
    fake = FakeGateway()
    monkeypatch.setattr(services, "_gateway", lambda provider="": fake)
    return fake


@pytest.fixture(autouse=True)
def _confirm_step(monkeypatch):
    """Use bookings' order_confirm when it exists; until then a stand-in that only confirms."""
    try:
        from bookings.services.orders import order_confirm  # noqa: F401
    except ImportError:
        from django.db import transaction
        from django.utils import timezone

        from bookings.models import Order
        from bookings.states import OrderStatus

        def fake_confirm(order_id):
            with transaction.atomic():
                order = Order.objects.select_for_update().get(pk=order_id)
                if order.status == OrderStatus.CAPTURING:
                    order.status, order.confirmed_at = OrderStatus.CONFIRMED, timezone.now()
                    order.save(update_fields=["status", "confirmed_at"])

        monkeypatch.setattr(services, "_order_confirm", fake_confirm)
