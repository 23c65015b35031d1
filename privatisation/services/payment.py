"""The bridge to bookings' orders and payment interface (the booking flow owns both)."""

from django.utils.translation import gettext as _

from bookings.models import Order
from bookings.payments import PaymentError, get_gateway
from bookings.selectors.giftcards import order_card_cents
from bookings.services import (
    BookingError,
    LineSpec,
    order_apply_payment_state,
    order_cancel_and_refund,
    order_create,
    order_expire_hold,
    order_pay_by_gift_card,
    order_start_payment,
)
from bookings.services.giftcards import order_redeem_gift_card
from bookings.states import OrderSource, OrderStatus

from .errors import PrivatisationError


def create_order(*, request, slot):
    """A pending order for the whole private session, priced by the request (or its quote).

    Called in the caller's transaction; the seats of the held slot are taken at once.
    """
    amount = request.amount_due_cents
    if request.billed_participants > request.participants and not request.is_company:
        label = _("Private session — %(n)s participants (billed for %(m)s)") % {
            "n": request.participants,
            "m": request.billed_participants,
        }
    else:
        label = _("Private session — %(n)s participants") % {"n": request.participants}
    try:
        order = order_create(
            slot=slot,
            lines=[
                LineSpec(
                    label=label,
                    quantity=request.participants,
                    unit_price_cents=amount // request.participants,
                )
            ],
            customer_name=request.contact_name,
            customer_email=request.email,
            customer_phone=request.phone,
            language=request.language,
            source=OrderSource.PRIVATISATION,
            take_seats=True,
            total_cents=amount,  # a quote or minimum may not divide by the participants
        )
    except BookingError as exc:
        raise PrivatisationError(exc.message) from None
    return order


def redeem_gift_card(*, order, code: str) -> None:
    """A gift card pays the order, in part or in full (bookings reserves the amount)."""
    try:
        order_redeem_gift_card(order_id=order.pk, code=code)
    except BookingError as exc:
        raise PrivatisationError(exc.message) from None


def start(*, order, return_url: str, cancel_url: str) -> str:
    """Open the gateway's checkout (outside any transaction). Returns where to send the customer.

    An order its gift card pays in full has no card step: it is paid now, back to `return_url`."""
    try:
        if order_card_cents(order) == 0:
            order_pay_by_gift_card(order_id=order.pk)
            return return_url
        session = order_start_payment(
            order_id=order.pk, return_url=return_url, cancel_url=cancel_url
        )
    except BookingError as exc:
        raise PrivatisationError(exc.message) from None
    return session.redirect_url


def refund(*, order_id: int, reason: str) -> None:
    """A payment that arrived for a request that no longer needs it (after commit)."""
    order_cancel_and_refund(order_id=order_id, reason=reason)


def reconcile(*, order_id: int) -> None:
    """Back from the checkout: ask the gateway for the payment's state (the webhook may lag)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not order.payment_intent_id or order.status != OrderStatus.PENDING_PAYMENT:
        return
    try:
        state = get_gateway(order.payment_provider or None).retrieve(order.payment_intent_id)
    except PaymentError:
        return  # the webhook will tell
    order_apply_payment_state(order_id=order.pk, state=state)


def expire_hold(*, order_id: int, now) -> None:
    """End a lapsed checkout of a held private slot (bookings releases its seats once)."""
    order_expire_hold(order_id=order_id, now=now)
