"""The one transition function per model: it refuses moves the table forbids and writes history."""

import pytest
from django.core import checks

from bookings.hooks import MissingHook, check_order_hooks, nothing, order_hooks
from bookings.models import OrderStatusChange, SlotStatusChange
from bookings.services import BookingError, order_cancel_and_refund, order_confirm, order_create
from bookings.services.orders_create import LineSpec
from bookings.services.slots import slot_cancel
from bookings.services.transitions import order_move, orders_move
from bookings.states import ActorKind, OrderSource, OrderStatus, SlotStatus
from tests.factories import OrderFactory, SlotFactory

pytestmark = pytest.mark.django_db


def moves(order):
    return list(
        OrderStatusChange.objects.filter(order=order).values_list(
            "from_status", "to_status", "actor_kind"
        )
    )


def test_a_move_the_table_forbids_is_refused_and_leaves_no_trace():
    order = OrderFactory(status=OrderStatus.REFUSED)
    with pytest.raises(BookingError):
        order_move(order, OrderStatus.CONFIRMED)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUSED and moves(order) == []


def test_a_bulk_move_checks_every_row_against_the_table():
    fine, ended = (
        OrderFactory(status=OrderStatus.AWAITING_CONFIRMATION),
        OrderFactory(status=OrderStatus.EXPIRED),
    )
    with pytest.raises(BookingError):
        orders_move([fine, ended], OrderStatus.REFUSED)
    fine.refresh_from_db()
    assert (
        fine.status == OrderStatus.AWAITING_CONFIRMATION and not OrderStatusChange.objects.exists()
    )


def test_bulk_move_writes_one_history_row_per_order_with_the_message():
    orders = [OrderFactory(status=OrderStatus.AWAITING_CONFIRMATION) for _ in range(3)]
    orders_move(orders, OrderStatus.REFUSED, message="Kiln broken")
    rows = OrderStatusChange.objects.order_by("order_id")
    assert [(r.order_id, r.from_status, r.to_status, r.message) for r in rows] == [
        (o.pk, OrderStatus.AWAITING_CONFIRMATION, OrderStatus.REFUSED, "Kiln broken")
        for o in orders
    ]


def test_confirm_then_cancel_write_the_order_history():
    slot = SlotFactory(capacity=4)
    order = order_create(
        slot=slot,
        lines=[LineSpec(label="Adult", quantity=2, unit_price_cents=1000)],
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    order_confirm(order_id=order.pk)
    order_cancel_and_refund(order_id=order.pk, reason="Ill")
    assert moves(order) == [
        (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, ActorKind.SYSTEM),
        (OrderStatus.CONFIRMED, OrderStatus.CANCELLED, ActorKind.SYSTEM),
    ]
    assert OrderStatusChange.objects.filter(order=order).last().message == "Ill"


def test_private_order_is_created_at_its_price():
    slot = SlotFactory(capacity=7)
    order = order_create(
        slot=slot,
        lines=[LineSpec(label="Private", quantity=7, unit_price_cents=1428)],
        customer_name="Bo",
        customer_email="bo@example.com",
        source=OrderSource.PRIVATISATION,
        total_cents=10000,
    )
    assert order.total_cents == 10000 and order.source == OrderSource.PRIVATISATION


def test_artisan_cancelling_a_slot_is_in_the_slot_and_order_history():
    slot = SlotFactory(capacity=4)
    order = order_create(
        slot=slot,
        lines=[LineSpec(label="Adult", quantity=1, unit_price_cents=1000)],
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    artisan = slot.workshop.artisan
    slot_cancel(artisan=artisan, slot_id=slot.pk, message="Flood")
    row = SlotStatusChange.objects.get(slot=slot)
    assert (row.from_status, row.to_status, row.actor_kind, row.actor_user_id, row.message) == (
        SlotStatus.OPEN,
        SlotStatus.CANCELLED,
        ActorKind.ARTISAN,
        artisan.user_id,
        "Flood",
    )
    assert moves(order)[-1] == (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
        ActorKind.ARTISAN,
    )


def test_an_order_event_for_an_unregistered_source_raises():
    order = OrderFactory(source="unregistered")
    with pytest.raises(MissingHook):
        order_hooks.confirmed(order)


def test_system_check_reports_a_source_without_handlers():
    assert check_order_hooks() == []
    del order_hooks._handlers[OrderSource.PRIVATISATION]  # the registry is restored after the test
    errors = check_order_hooks()
    assert [e.id for e in errors] == ["bookings.E001"] and all(
        isinstance(e, checks.Error) for e in errors
    )
    order_hooks.register(OrderSource.PRIVATISATION, on_confirmed=nothing, on_closed=nothing)
    assert check_order_hooks() == []
