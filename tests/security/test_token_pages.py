"""Every page opened by a customer's token link (order, tickets, calendar file, request, quote) is
sent with `Cache-Control: private, no-store`: no proxy or browser disk keeps their details."""

import pytest
from django.urls import reverse

from bookings.states import OrderStatus
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    WorkshopFactory,
)
from tests.privatisation.test_quotes import answer_company

pytestmark = pytest.mark.django_db

ORDER = ["order", "order_tickets", "order_calendar", "checkout_return", "checkout_leave"]
REQUEST = ["customer_request", "quote", "quote_pdf", "customer_payment_return"]


@pytest.fixture
def tokens():
    workshop = WorkshopFactory()
    order = OrderFactory(slot=SlotFactory(workshop=workshop), status=OrderStatus.CONFIRMED)
    order.tickets.create(line=OrderLineFactory(order=order), label="Adult")
    privreq = answer_company(workshop)
    return {"storefront": order.token, "privatisation": privreq.token}


@pytest.mark.parametrize(
    "name", [f"storefront:{n}" for n in ORDER] + [f"privatisation:{n}" for n in REQUEST]
)
def test_every_token_page_is_private_and_not_stored(client, tokens, name):
    response = client.get(reverse(name, args=[tokens[name.split(":")[0]]]))
    assert response.status_code in (200, 302), response.status_code
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
