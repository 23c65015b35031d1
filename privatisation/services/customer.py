"""The customer's side: withdraw, choose an offer and pay; and the payment hooks bookings calls."""

from django.db import transaction
from django.utils.translation import gettext as _

from bookings.models import Order, Slot
from bookings.services.private_slots import slot_open_private, slots_release_held
from bookings.states import CUSTOMER, OrderSource, OrderStatus, SlotStatus

from ..models import Offer, PrivatisationRequest
from ..states import MessageAuthor, RequestStatus
from . import notify, payment
from ._common import add_message, ensure_open, lock_request, now_utc
from .errors import PrivatisationError, SlotUnavailable
from .transitions import request_move


def privatisation_request_withdraw(*, token: str, now=None) -> PrivatisationRequest:
    """The customer withdraws while the artisan has not answered (the artisan is told)."""
    now = now or now_utc()
    with transaction.atomic():
        request = lock_request(token=token)
        if request.status == RequestStatus.WITHDRAWN:
            return request
        ensure_open(request, RequestStatus.PENDING, now)
        request.closed_at = now
        request_move(request, RequestStatus.WITHDRAWN, actor=CUSTOMER, fields=["closed_at"])
        notify.to_artisan(request, "withdrawn")
    return request


def privatisation_offer_choose(
    *, token: str, offer_id: int, return_url: str, cancel_url: str, gift_code: str = "", now=None
) -> str:
    """The customer chooses an offered slot: create its order and return where to pay.

    The order is created in our transaction (the held slot is re-checked under lock); the
    payment provider is called after commit, outside any transaction. Choosing the same slot
    again reuses its order; an abandoned checkout on another slot simply lapses. A gift card
    code pays what the card holds (the rest by card; no card step when it covers it all).
    """
    now = now or now_utc()
    with transaction.atomic():
        offer = Offer.objects.filter(pk=offer_id, request__token=token).first()
        if offer is None:
            raise PrivatisationError(_("This slot is not one of the slots offered to you."))
        # Slot first, then request: the same lock order as the payment hook (bookings locks the slot).
        slot = Slot.objects.select_for_update().get(pk=offer.slot_id)
        request = lock_request(token=token)
        ensure_open(request, RequestStatus.ANSWERED, now)
        if slot.status != SlotStatus.HELD:
            raise SlotUnavailable()
        pending = list(
            Order.objects.filter(
                slot=slot, source=OrderSource.PRIVATISATION, status=OrderStatus.PENDING_PAYMENT
            ).order_by("-pk")
        )
        order = next((o for o in pending if o.hold_expires_at and o.hold_expires_at > now), None)
        for lapsed in pending:
            if lapsed is not order and lapsed.hold_expires_at and lapsed.hold_expires_at <= now:
                payment.expire_hold(
                    order_id=lapsed.pk, now=now
                )  # its seats go back before a new checkout
        if order is None:
            order = payment.create_order(request=request, slot=slot)
        if gift_code:  # a gift card pays all or part of it
            payment.redeem_gift_card(order=order, code=gift_code)
        request.order = order
        request.save(update_fields=["order"])
    return payment.start(order=order, return_url=return_url, cancel_url=cancel_url)


def request_paid(order) -> None:
    """bookings' hook, in its transaction: the order of a chosen offer is paid.

    Confirm the request, make the private slot the customer's session, remove the other
    offered slots from the calendar, tell both sides.
    """
    now = now_utc()
    offer = Offer.objects.filter(slot_id=order.slot_id).first()
    if offer is None:
        return
    request = lock_request(pk=offer.request_id)
    if request.status == RequestStatus.CONFIRMED and request.order_id == order.pk:
        return
    # A payment started before the deadline is honoured even if it completes just after it
    # (the expiry job leaves a request alone during its checkout hold). A payment that is
    # not needed any more (the request ended, or another slot was paid) goes back.
    if request.status != RequestStatus.ANSWERED:
        pk = order.pk
        transaction.on_commit(
            lambda: payment.refund(
                order_id=pk, reason=_("This private session request had already ended.")
            )
        )
        return
    offers = list(request.offers.order_by("slot_id"))
    list(
        Slot.objects.select_for_update()
        .filter(pk__in=[o.slot_id for o in offers])
        .order_by("pk")
        .values_list("pk")
    )
    slot_open_private(
        slot_id=offer.slot_id, actor=CUSTOMER, message=_("The customer paid for this slot.")
    )
    others = [o.slot_id for o in offers if o.pk != offer.pk]
    slots_release_held(
        slot_ids=others, message=_("Another slot was chosen."), actor=CUSTOMER, now=now
    )
    offer.chosen = True
    offer.save(update_fields=["chosen"])
    request.order = order
    request.closed_at = now
    request_move(
        request,
        RequestStatus.CONFIRMED,
        actor=CUSTOMER,
        message=_("Paid."),
        fields=["order", "closed_at"],
    )
    notify.to_customer(request, "confirmed", sms=True, offer=offer)
    notify.to_artisan(request, "confirmed", sms=True, offer=offer)


def request_payment_closed(order) -> None:
    """bookings' hook: the payment ended without confirmation; the customer may try again."""
    PrivatisationRequest.objects.filter(order=order, status=RequestStatus.ANSWERED).update(
        order=None
    )


def privatisation_message_post(*, request_id: int, author: str, body: str, now=None):
    """A message on the conversation; the other side is told by email."""
    now = now or now_utc()
    body = body.strip()
    if not body:
        raise PrivatisationError(_("Write a message."), field="body")
    with transaction.atomic():
        request = lock_request(pk=request_id)
        if request.display_status(now) in (
            RequestStatus.EXPIRED,
            RequestStatus.WITHDRAWN,
            RequestStatus.REFUSED,
        ):
            raise PrivatisationError(_("This request is closed: the conversation is over."))
        message = add_message(request, author, body, now)
        if author == MessageAuthor.ARTISAN:
            notify.to_customer(
                request, f"message_{message.pk}", template_event="message", message=message
            )
        else:
            notify.to_artisan(
                request, f"message_{message.pk}", template_event="message", message=message
            )
    return message


def payment_reconcile(*, order_id: int) -> None:
    """The customer is back from the checkout page: bring the order up to date."""
    payment.reconcile(order_id=order_id)
