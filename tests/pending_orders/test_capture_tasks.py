"""The capture fan-out: chunks of orders per task, each order on its own inside its chunk."""

import pytest

from bookings.models import Order, PaymentEvent
from bookings.payments.base import PaymentUnavailable
from bookings.services import confirm_first
from bookings.states import OrderStatus, PaymentEventKind
from pending_orders import services, tasks
from tests.factories import PendingOrderFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """What the tasks publish: (task name, args, options), nothing run."""
    sent = []

    def recorder(name):
        def apply_async(args=None, **options):
            sent.append((name, args, options))

        return apply_async

    monkeypatch.setattr(tasks.capture_orders, "apply_async", recorder("capture_orders"))
    monkeypatch.setattr(tasks.capture_order, "apply_async", recorder("capture_order"))
    return sent


def test_the_fan_out_publishes_one_task_per_chunk_of_orders(published):
    ids = list(range(1, 24))

    assert tasks.dispatch_captures(ids) == 23

    chunk = tasks.CAPTURE_CHUNK
    assert [args for _name, args, _options in published] == [
        [ids[i : i + chunk]] for i in range(0, 23, chunk)
    ]
    assert {name for name, _args, _options in published} == {"capture_orders"}


def test_accept_then_one_chunk_captures_and_confirms_every_order(
    gateway, celery_eager, django_capture_on_commit_callbacks
):
    slot = SlotFactory(capacity=30)
    orders = [PendingOrderFactory(slot=slot) for _ in range(tasks.CAPTURE_CHUNK + 2)]

    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=slot.workshop.artisan, order_ids=[o.pk for o in orders])

    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    assert len(gateway.captures) == len(orders)
    assert PaymentEvent.objects.filter(kind=PaymentEventKind.CAPTURED).count() == len(orders)


def test_a_broken_order_does_not_hold_back_the_rest_of_its_chunk(
    gateway, published, monkeypatch, django_capture_on_commit_callbacks
):
    slot = SlotFactory(capacity=10)
    orders = [PendingOrderFactory(slot=slot) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=slot.workshop.artisan, order_ids=[o.pk for o in orders])
    real = services.captures.order_capture
    broken, flaky = orders[0].pk, orders[1].pk

    def capture(*, order_id, now=None):
        if order_id == broken:
            raise RuntimeError("a bug")
        if order_id == flaky:
            raise PaymentUnavailable("The payment provider cannot be reached.")
        return real(order_id=order_id)

    monkeypatch.setattr(services, "order_capture", capture)
    published.clear()

    outcome = tasks.capture_orders([o.pk for o in orders])

    assert outcome == {broken: "error", flaky: "retry", orders[2].pk: OrderStatus.CONFIRMED}
    assert Order.objects.get(pk=orders[2].pk).status == OrderStatus.CONFIRMED
    # The transient failure is retried alone, later, this run counted as its first attempt;
    # the broken order is the sweeper's (still capturing).
    assert published == [
        ("capture_order", [flaky], {"countdown": 15, "retries": 1, "retry": False})
    ]
    assert Order.objects.get(pk=broken).status == OrderStatus.CAPTURING


def test_a_capture_is_kept_in_the_ledger_when_the_order_can_no_longer_be_confirmed():
    """The money was taken: its ledger row must outlive a refused confirmation."""
    from bookings.services import BookingError

    order = PendingOrderFactory(slot=SlotFactory(capacity=4))
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    with pytest.raises(BookingError):
        confirm_first.order_record_capture(order_id=order.pk, amount_cents=order.total_cents)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    event = PaymentEvent.objects.get(order=order, kind=PaymentEventKind.CAPTURED)
    assert event.amount_cents == order.total_cents
