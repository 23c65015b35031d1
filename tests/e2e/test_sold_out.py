"""A full session's booking page says so at once, without a form, on a phone too (issue 13:
a flash sale's latecomers are answered before any validation or lock)."""

import pytest
from playwright.sync_api import expect

from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory


@pytest.mark.django_db(transaction=True)
def test_a_sold_out_session_says_so_and_leads_back_to_the_dates(
    live_server, phone_context, screenshot
):
    workshop = WorkshopFactory(title="Wheel-throwing initiation", slug="wheel-throwing")
    slot = SlotFactory(workshop=workshop, capacity=6, seats_taken=6)
    TicketTypeFactory(workshop=workshop, name="Adult")
    page = phone_context.new_page()
    page.goto(f"{live_server.url}/workshops/wheel-throwing/book/{slot.pk}/")
    expect(page.get_by_text("Sorry, this session is sold out.")).to_be_visible()
    expect(page.locator("#id_customer_name")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone")
    page.get_by_role("link", name="See the other dates").click()
    expect(page).to_have_url(f"{live_server.url}/workshops/wheel-throwing/")
