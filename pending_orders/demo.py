"""Confirm-first orders made through the real booking path on the dev gateway.

Used by `seed_demo_pending_orders` and `bench/bulk_accept.py`: place the order, open the
payment, let the customer "pay" on the dev gateway (an authorisation), reconcile.
"""

from bookings.payments.dev import DevGateway
from bookings.services import (
    LineSpec,
    order_apply_payment_state,
    order_create,
    order_start_payment,
)


def authorised_order(
    *,
    slot,
    ticket_type,
    customer_name: str,
    customer_email: str,
    seats: int = 1,
    language: str = "en",
):
    order = order_create(
        slot=slot,
        lines=[
            LineSpec(
                label=ticket_type.name,
                quantity=seats,
                unit_price_cents=ticket_type.price_cents,
                ticket_type_id=ticket_type.pk,
            )
        ],
        customer_name=customer_name,
        customer_email=customer_email,
        language=language,
        requires_confirmation=True,
        take_seats=True,
        wait_if_full=True,  # as on the storefront: seats held within capacity, else the waiting list
    )
    if not order.payment_provider:
        order.payment_provider = "dev"
        order.save(update_fields=["payment_provider"])
    session = order_start_payment(order_id=order.pk, return_url="/", cancel_url="/")
    state = DevGateway().customer_pays(session.reference)
    return order_apply_payment_state(order_id=order.pk, state=state)
