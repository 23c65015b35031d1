"""A customer who leaves the payment page gets the seats back at once, and a double click on
"Continue to payment" makes one order (phone, real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import Order, Slot
from bookings.states import OrderStatus
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory


@pytest.mark.django_db(transaction=True)
def test_leaving_the_payment_page_gives_the_seats_back(live_server, phone_context, screenshot):
    workshop = WorkshopFactory(title="Sourdough bread morning", price_cents=5000)
    TicketTypeFactory(workshop=workshop, name="Adult", price_cents=5000)
    slot = SlotFactory(workshop=workshop, capacity=4)
    page = phone_context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/workshops/{workshop.slug}/book/{slot.pk}/")
    expect(page.get_by_text("Your seats are held for 15 minutes while you pay.")).to_be_visible()
    page.get_by_label("Adult").fill("4")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Mobile phone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Continue to payment").dblclick()
    expect(page).to_have_url(re.compile(r"/pay/dev/"))
    assert Order.objects.count() == 1
    assert Slot.objects.get(pk=slot.pk).seats_taken == 4

    page.get_by_role("button", name="Cancel and go back").click()
    expect(page.get_by_text("You left the payment page: your seats are given back")).to_be_visible()
    expect(page.get_by_role("link", name="Choose a date and book again")).to_be_visible()
    screenshot(page, "phone-left-payment")
    assert Order.objects.get().status == OrderStatus.EXPIRED
    assert Slot.objects.get(pk=slot.pk).seats_taken == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
