"""Confirm-first orders paid by gift card: reserved when placed, used when the artisan accepts,
released when refused or not answered in time."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bookings.models import DevPayment
from bookings.payments import get_gateway
from bookings.selectors.giftcards import order_card_cents
from bookings.services import (
    order_apply_payment_state,
    order_pay_by_gift_card,
    order_place,
    order_start_payment,
)
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.states import GiftCardEntryKind, OrderStatus
from pending_orders import services
from tests.factories import ConfirmFirstTicketTypeFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
Kind = GiftCardEntryKind


@pytest.fixture
def masterclass():
    slot = SlotFactory(capacity=4, workshop=WorkshopFactory(price_cents=6000))
    return ConfirmFirstTicketTypeFactory(workshop=slot.workshop, price_cents=6000)


def card_of(amount):
    card = giftcard_create(amount_cents=amount, buyer_name="Ada", buyer_email="ada@example.com")
    return giftcard_issue(gift_card_id=card.pk)


def place(ticket_type, card, cents):
    return order_place(
        slot_id=ticket_type.workshop.slots.get().pk,
        quantities={ticket_type.pk: 1},
        customer_name="Cleo",
        customer_email="cleo@example.com",
        gift_card_code=card.code,
        gift_card_cents=cents,
    )


def kinds(card):
    return list(card.entries.order_by("pk").values_list("kind", flat=True))


def test_all_by_gift_card_waits_reserved_and_is_used_on_accept(
    masterclass, celery_eager, django_capture_on_commit_callbacks
):
    card = card_of(10000)
    order = order_pay_by_gift_card(order_id=place(masterclass, card, 10000).pk)
    assert order.status == OrderStatus.AWAITING_CONFIRMATION and order.decide_by
    card.refresh_from_db()
    assert card.balance_cents == 4000 and kinds(card) == [Kind.ISSUE, Kind.RESERVE]
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=masterclass.workshop.artisan, order_ids=[order.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert kinds(card) == [Kind.ISSUE, Kind.RESERVE, Kind.RELEASE, Kind.USE]
    card.refresh_from_db()
    assert card.balance_cents == 4000


def test_part_by_gift_card_authorises_the_rest_and_captures_only_the_rest(
    masterclass, celery_eager, django_capture_on_commit_callbacks
):
    card = card_of(2000)
    order = place(masterclass, card, 2000)
    session = order_start_payment(order_id=order.pk, return_url="http://x/", cancel_url="http://x/")
    payment = DevPayment.objects.get(reference=session.reference)
    assert payment.amount_cents == order_card_cents(order) == 4000 and payment.manual_capture
    order_apply_payment_state(
        order_id=order.pk, state=get_gateway("dev").customer_pays(session.reference)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_accept(artisan=masterclass.workshop.artisan, order_ids=[order.pk])
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and payment.captured_cents == 4000
    assert kinds(card)[-1] == Kind.USE


def test_refused_releases_the_reservation(
    masterclass, celery_eager, django_capture_on_commit_callbacks
):
    card = card_of(10000)
    order = order_pay_by_gift_card(order_id=place(masterclass, card, 10000).pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_refuse(
            artisan=masterclass.workshop.artisan, order_ids=[order.pk], message="Full"
        )
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == OrderStatus.REFUSED
    assert card.balance_cents == 10000 and kinds(card)[-1] == Kind.RELEASE


def test_not_answered_in_time_releases_the_reservation(
    masterclass, celery_eager, django_capture_on_commit_callbacks
):
    card = card_of(10000)
    order = order_pay_by_gift_card(order_id=place(masterclass, card, 10000).pk)
    with time_machine.travel(order.decide_by + timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            services.orders_expire_overdue(now=timezone.now())
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert card.balance_cents == 10000
