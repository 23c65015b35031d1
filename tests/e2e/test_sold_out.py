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


def _book(page, base_url, slot, ticket_type, seats: int, email: str):
    page.goto(f"{base_url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.fill(f"#id_qty_{ticket_type.pk}", str(seats))
    page.fill("#id_customer_name", "Ada Lovelace")
    page.fill("#id_customer_email", email)
    page.fill("#id_customer_phone", "06 12 34 56 78")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_seats_others_book_show_on_the_next_visitors_form_until_it_is_sold_out(
    live_server, page, phone_context, browser, screenshot
):
    """The form is kept rendered across bookings (issue 13): the seats left are filled in at each
    display, in the visitor's language, and the last seat taken turns it into the sold-out page."""
    workshop = WorkshopFactory(title="Wheel-throwing initiation", slug="wheel-throwing")
    slot = SlotFactory(workshop=workshop, capacity=4)
    adult = TicketTypeFactory(workshop=workshop, name="Adult")
    visitor = phone_context.new_page()
    url = f"{live_server.url}/workshops/wheel-throwing/book/{slot.pk}/"
    visitor.goto(url)
    expect(visitor.locator(".seats-left")).to_have_text("4 seats left")

    _book(page, live_server.url, slot, adult, 3, "ada@example.com")
    visitor.goto(url)
    expect(visitor.locator(".seats-left")).to_have_text("1 seat left")
    screenshot(visitor, "1-one-seat-left")
    french = browser.new_context(locale="fr-FR").new_page()
    french.goto(url)
    expect(french.locator(".seats-left")).to_have_text("1 place restante")

    _book(page, live_server.url, slot, adult, 1, "tom@example.com")
    visitor.goto(url)
    expect(visitor.get_by_text("Sorry, this session is sold out.")).to_be_visible()
    expect(visitor.locator("#id_customer_name")).to_have_count(0)
    screenshot(visitor, "2-sold-out")
