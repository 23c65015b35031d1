"""The privatisation payment step takes a gift card code: part paid by the card (the rest by
bank card), or all of it (no card step)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from bookings.models import DevPayment, GiftCard
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.states import OrderStatus
from privatisation.services.respond import privatisation_request_respond
from privatisation.states import RequestStatus
from tests.factories import WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def answered_request():
    workshop = WorkshopFactory(price_cents=5000, private_min_capacity=1)
    req = privatisation_submit(workshop)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Yes",
    )
    return req


def card_of(amount):
    card = giftcard_create(amount_cents=amount, buyer_name="Ada", buyer_email="ada@example.com")
    return giftcard_issue(gift_card_id=card.pk)


def choose(client, req, code):
    return client.post(
        reverse("privatisation:customer_choose", args=[req.token]),
        {"offer": req.offers.get().pk, "gift_code": code},
    )


def test_a_gift_card_pays_part_and_the_rest_goes_to_the_card(client):
    req = answered_request()
    card = card_of(5000)
    response = choose(client, req, card.display_code.lower())
    req.refresh_from_db()
    payment = DevPayment.objects.get()
    assert payment.amount_cents == req.order.total_cents - 5000
    client.get(client.post(response["Location"], {"action": "pay"})["Location"])
    req.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED and req.order.status == OrderStatus.CONFIRMED
    card.refresh_from_db()
    assert card.balance_cents == 0


def test_a_gift_card_paying_all_needs_no_card_step(client):
    req = answered_request()
    card = card_of(50000)
    response = choose(client, req, card.code)
    assert "/pay/dev/" not in response["Location"]
    client.get(response["Location"])
    req.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED and not DevPayment.objects.exists()
    card.refresh_from_db()
    assert card.balance_cents == 50000 - req.order.total_cents


def test_a_wrong_code_says_so_and_nothing_is_reserved(client):
    req = answered_request()
    response = choose(client, req, "ACDE-FGHJ-KMNP")
    page = client.get(response["Location"]).content.decode()
    assert "not valid" in page
    assert not DevPayment.objects.exists() and not GiftCard.objects.exists()
    req.refresh_from_db()
    assert req.status == RequestStatus.ANSWERED
