"""Orders with real tickets for the check-in tests: confirmed through the booking service."""

from bookings.services import order_confirm
from bookings.states import OrderStatus
from tests.factories import OrderFactory, OrderLineFactory


def confirmed_order(slot, *, name="Ada Lovelace", seats=1, label="Adult", **kwargs):
    order = OrderFactory(
        slot=slot, status=OrderStatus.PENDING_PAYMENT, customer_name=name, seats=seats, **kwargs
    )
    OrderLineFactory(order=order, label=label, quantity=seats)
    order_confirm(order_id=order.pk)
    order.refresh_from_db()
    return order


def ticket_of(order, n: int = 0):
    return order.tickets.order_by("pk")[n]
