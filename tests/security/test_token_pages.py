"""Every page opened by a customer's token link (order, tickets, calendar file, request, quote) is
sent with `Cache-Control: private, no-store`: no proxy or browser disk keeps their details."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.states import OrderStatus
from privatisation.services.respond import QuoteInput, privatisation_request_respond
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    WorkshopFactory,
    privatisation_submit,
)

pytestmark = pytest.mark.django_db

ORDER = ["order", "order_tickets", "order_calendar", "checkout_return", "checkout_leave"]
REQUEST = ["customer_request", "quote", "quote_pdf", "customer_payment_return"]


@pytest.fixture
def tokens():
    workshop = WorkshopFactory()
    order = OrderFactory(slot=SlotFactory(workshop=workshop), status=OrderStatus.CONFIRMED)
    order.tickets.create(line=OrderLineFactory(order=order), label="Adult")
    privreq = privatisation_submit(workshop, kind="company", company_name="Acme")
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=privreq.pk,
        accept_proposed_ids=[privreq.proposed_slots.first().pk],
        offer_starts=[],
        message="Yes",
        quote=QuoteInput(
            amount_cents=90000, valid_until=timezone.now() + timedelta(days=10), note="Coffee"
        ),
    )
    return {"storefront": order.token, "privatisation": privreq.token}


@pytest.mark.parametrize(
    "name", [f"storefront:{n}" for n in ORDER] + [f"privatisation:{n}" for n in REQUEST]
)
def test_every_token_page_is_private_and_not_stored(client, tokens, name):
    response = client.get(reverse(name, args=[tokens[name.split(":")[0]]]))
    assert response.status_code in (200, 302), response.status_code
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
