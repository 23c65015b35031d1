"""Issue 15 in real Chromium: a booking awaiting the artisan's confirmation holds its seat."""

import pytest
from playwright.sync_api import expect

from bookings.models import Order
from tests.factories import (
    ConfirmFirstTicketTypeFactory,
    SlotFactory,
    TicketTypeFactory,
    WorkshopFactory,
)


def book_confirm_first(page, base_url, slot, ticket_type, name, email):
    """As tests/e2e/test_pending_orders.py's helper, without expecting the outcome (it differs here)."""
    page.goto(f"{base_url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.fill(f"#id_qty_{ticket_type.pk}", "1")
    page.fill("#id_customer_name", name)
    page.fill("#id_customer_email", email)
    page.fill("#id_customer_phone", "06 12 34 56 78")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Pending confirmation").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_pending_bookings_hold_their_seats_and_the_last_one_waits(live_server, page, screenshot):
    workshop = WorkshopFactory(title="Wheel-throwing initiation", slug="wheel-throwing")
    slot = SlotFactory(workshop=workshop, capacity=3)
    on_request = ConfirmFirstTicketTypeFactory(workshop=workshop, name="Adult — on request")
    TicketTypeFactory(workshop=workshop, name="Adult")

    page.goto(f"{live_server.url}/workshops/wheel-throwing/")
    expect(page.get_by_text("3 seats left").first).to_be_visible()
    for name, email in (
        ("Inès Martin", "ines@example.com"),
        ("Tom Baker", "tom@example.com"),
        ("Zoé Petit", "zoe@example.com"),
    ):
        book_confirm_first(page, live_server.url, slot, on_request, name, email)
    page.goto(f"{live_server.url}/workshops/wheel-throwing/")
    expect(page.get_by_text("Full").first).to_be_visible()
    screenshot(page, "1-workshop-full-while-pending")
    page.get_by_role("link", name="Join the waiting list").click()
    expect(page.locator(".seats-left")).to_have_text("0 seats left")

    # A fourth request is still possible, on the waiting list, and told so plainly.
    book_confirm_first(page, live_server.url, slot, on_request, "Ada Lovelace", "ada@example.com")
    expect(
        page.get_by_text("You are on the waiting list: the artisan accepts if a seat frees up.")
    ).to_be_visible()
    screenshot(page, "2-customer-waiting-list")
    ada = Order.objects.get(customer_email="ada@example.com")
    assert ada.on_waiting_list and not ada.holds_seats
    slot.refresh_from_db()
    assert slot.seats_taken == 3
