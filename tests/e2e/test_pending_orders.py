"""Confirm-first tickets end to end in Chromium: customers book and wait; the artisan ticks,
accepts and refuses from Orders → Pending orders."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from bookings.models import Order
from bookings.states import OrderStatus
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    ConfirmFirstTicketTypeFactory,
    SlotFactory,
    WorkshopFactory,
)


def book_confirm_first(page, base_url, slot, ticket_type, name, email, screenshot=None):
    page.set_default_timeout(10_000)
    page.goto(f"{base_url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.fill(f"#id_qty_{ticket_type.pk}", "1")
    page.fill("#id_customer_name", name)
    page.fill("#id_customer_email", email)
    page.fill("#id_customer_phone", "06 12 34 56 78")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Pending confirmation").first).to_be_visible()
    if screenshot:
        screenshot(page, "customer-pending")


@pytest.mark.django_db(transaction=True)
def test_artisan_accepts_two_with_the_header_box_and_refuses_a_third(
    live_server, page, phone_context, screenshot
):
    artisan = ArtisanFactory(display_name="Atelier Claire Dubois")
    workshop = WorkshopFactory(artisan=artisan, title="Wheel-throwing initiation")
    slot = SlotFactory(workshop=workshop, capacity=6)
    ticket_type = ConfirmFirstTicketTypeFactory(workshop=workshop, name="Adult — on request")

    book_confirm_first(
        page, live_server.url, slot, ticket_type, "Inès Martin", "ines@example.com", screenshot
    )
    book_confirm_first(page, live_server.url, slot, ticket_type, "Tom Baker", "tom@example.com")
    book_confirm_first(page, live_server.url, slot, ticket_type, "Zoé Petit", "zoe@example.com")
    assert Order.objects.filter(status=OrderStatus.AWAITING_CONFIRMATION).count() == 3
    zoe = Order.objects.get(customer_email="zoe@example.com")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=re.compile("Pending orders")).click()
    expect(page.get_by_role("heading", name="Pending orders")).to_be_visible()
    expect(page.locator(".site-header .badge")).to_have_text("3")
    screenshot(page, "artisan-list")

    # Refuse the third order, with a message.
    page.get_by_label(f"Tick order {zoe.reference}").check()
    page.get_by_text("Actions").click()
    page.get_by_role("button", name="Refuse orders").click()
    expect(page.get_by_role("heading", name="Refuse 1 order?")).to_be_visible()
    page.fill("textarea[name=message]", "The kiln is being repaired that day, sorry!")
    screenshot(page, "artisan-confirm-refuse")
    page.get_by_role("button", name="Refuse orders").click()
    expect(page.get_by_text("1 order refused")).to_be_visible()
    zoe.refresh_from_db()
    assert zoe.status == OrderStatus.REFUSED
    refusal = [
        m for m in mail.outbox if m.to == ["zoe@example.com"] and "not accepted" in m.subject
    ]
    assert len(refusal) == 1 and "The kiln is being repaired that day, sorry!" in refusal[0].body

    # The two left: the header box ticks both; accept.
    page.get_by_role("link", name="Pending orders", exact=False).first.click()
    page.locator("#check-all").check()
    expect(page.locator("input.order-check:checked")).to_have_count(2)
    expect(page.locator("[data-selected-count]")).to_have_text("2 orders ticked")
    screenshot(page, "artisan-ticked")
    page.get_by_text("Actions").click()
    page.get_by_role("button", name="Accept orders").click()
    expect(page.get_by_role("heading", name="Accept 2 orders?")).to_be_visible()
    page.get_by_role("button", name="Accept orders").click()
    expect(page.get_by_text("2 confirmed")).to_be_visible()
    screenshot(page, "artisan-summary")

    # No participants page in this branch (f-foundation builds it): the orders are confirmed
    # with their tickets, and the summary lists both customers.
    for email in ("ines@example.com", "tom@example.com"):
        order = Order.objects.get(customer_email=email)
        assert order.status == OrderStatus.CONFIRMED and order.tickets.count() == 1
        expect(page.get_by_text(order.customer_name)).to_be_visible()
    slot.refresh_from_db()
    assert slot.seats_taken == 2

    # The customer's page now shows the ticket.
    ines = Order.objects.get(customer_email="ines@example.com")
    page.goto(f"{live_server.url}/o/{ines.token}/")
    expect(page.get_by_text("Confirmed").first).to_be_visible()

    # Phone: the list as cards, and the empty state.
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/backoffice/login/")
    phone.fill("#id_username", artisan.user.username)
    phone.fill("#id_password", PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"{live_server.url}/backoffice/orders/pending/")
    expect(phone.get_by_text("Nothing to decide")).to_be_visible()
    screenshot(phone, "phone-empty")


@pytest.mark.django_db(transaction=True)
def test_pending_list_on_a_phone_reads_as_cards(live_server, phone_context, screenshot):
    from tests.factories import PendingOrderFactory

    artisan = ArtisanFactory(display_name="Atelier Claire Dubois")
    slot = SlotFactory(
        workshop=WorkshopFactory(artisan=artisan, title="Sourdough bread morning"), capacity=8
    )
    for name in ("Inès Martin", "Tom Baker", "Zoé Petit-Delacroix-Vandenberghe"):
        PendingOrderFactory(slot=slot, customer_name=name, seats=2)
    page = phone_context.new_page()
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/backoffice/orders/pending/")

    page.locator("#check-all").check()
    expect(page.locator("input.order-check:checked")).to_have_count(3)
    screenshot(page, "phone-list")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391).slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px): {wide}"


@pytest.mark.django_db(transaction=True)
def test_header_box_offers_to_tick_all_that_match_the_filter(live_server, page, screenshot):
    from tests.factories import PendingOrderFactory

    artisan = ArtisanFactory()
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=40)
    for _ in range(30):
        PendingOrderFactory(slot=slot)
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/backoffice/orders/pending/")

    page.locator("#check-all").check()
    expect(page.get_by_text("All 25 orders on this page are ticked.")).to_be_visible()
    page.get_by_role("button", name="Tick all 30 orders that match the filter").click()
    expect(page.locator("[data-selected-count]")).to_have_text("30 orders ticked")
    screenshot(page, "all-matching")
    page.get_by_text("Actions").click()
    page.get_by_role("button", name="Accept orders").click()

    expect(page.get_by_role("heading", name="Accept 30 orders?")).to_be_visible()
