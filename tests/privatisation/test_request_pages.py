"""After a deadline the pages say what happened and when; the answer's box and the chat are told
apart; the customer sees which offered slots they proposed and which the artisan suggested."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from privatisation.services.deadlines import privatisation_expire_overdue
from privatisation.services.respond import privatisation_request_respond
from tests.factories import WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def workshop():
    return WorkshopFactory(
        price_cents=5000, private_min_capacity=3, private_max_capacity=10, timezone="Europe/Paris"
    )


def page(client, req):
    return client.get(reverse("privatisation:customer_request", args=[req.token])).content.decode()


def manage(client, req):
    client.force_login(req.workshop.artisan.user)
    return client.get(reverse("privatisation:manage", args=[req.pk])).content.decode()


def answer(req, offer_in_days=20):
    start = (
        (timezone.now() + timedelta(days=offer_in_days))
        .astimezone(req.workshop.tzinfo)
        .replace(hour=16, minute=0)
    )
    privatisation_request_respond(
        artisan=req.workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[start],
        message="Happy to host you.",
    )
    req.refresh_from_db()
    return req


def test_unanswered_expiry_says_who_missed_which_deadline_and_when(client, workshop):
    req = privatisation_submit(workshop)
    privatisation_expire_overdue(now=req.respond_by + timedelta(seconds=1))
    when = req.respond_by.astimezone(workshop.tzinfo)
    customer, artisan = page(client, req), manage(client, req)
    assert (
        "The artisan did not answer in time." in customer and f"{when:%-d %B %Y, %H:%M}" in customer
    )
    assert "nothing was charged" in customer and "You may send a new request." in customer
    assert "You did not answer in time." in artisan and f"{when:%-d %B %Y, %H:%M}" in artisan


def test_unpaid_expiry_says_the_held_slots_are_released_and_when(client, workshop):
    req = answer(privatisation_submit(workshop))
    privatisation_expire_overdue(now=req.pay_by + timedelta(seconds=1))
    when = req.pay_by.astimezone(workshop.tzinfo)
    customer, artisan = page(client, req), manage(client, req)
    assert (
        "No slot was chosen and paid in time." in customer
        and f"{when:%-d %B %Y, %H:%M}" in customer
    )
    assert "slots the artisan held for you are released" in customer
    assert "The customer did not choose and pay in time." in artisan


def test_overdue_request_is_explained_before_the_job_ran(client, workshop):
    req = privatisation_submit(workshop)
    req.respond_by = timezone.now() - timedelta(minutes=1)
    req.save(update_fields=["respond_by"])
    assert "The artisan did not answer in time." in page(client, req)


def test_customer_sees_which_offered_slot_they_proposed_and_which_the_artisan_suggested(
    client, workshop
):
    req = answer(privatisation_submit(workshop))
    html = page(client, req)
    assert (
        html.count("You proposed it") == 1 and html.count("Suggested by the artisan instead") == 1
    )
    assert html.count("Accepted by the artisan") == 1 and html.count("Not kept by the artisan") == 2
    assert "The artisan suggested 1 other slot instead." in html


def test_the_answers_message_and_the_conversation_are_told_apart(client, workshop):
    req = privatisation_submit(workshop)
    html = manage(client, req)
    assert "Message with your answer" in html and "Part of your answer" in html
    assert "Write in the conversation" in html and "It is not the answer to the request." in html
    customer = page(client, req)
    assert "Write in the conversation" in customer and "Message with your answer" not in customer
