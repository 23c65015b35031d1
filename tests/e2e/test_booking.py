"""A customer books two seats, pays on the dev gateway, gets two QR tickets on the page and
the same tickets by email."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from bookings.models import Order
from bookings.states import OrderStatus
from notifications.models import Notification
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory


@pytest.fixture
def slot():
    workshop = WorkshopFactory(
        title="Wheel-throwing initiation",
        price_cents=6500,
        address="12 rue des Potiers, 75011 Paris",
        practical_info="Wear clothes that can get muddy.",
    )
    TicketTypeFactory(
        workshop=workshop, name="Adult", price_cents=6500, description="From 16 years old"
    )
    TicketTypeFactory(workshop=workshop, name="Child (8–15)", price_cents=4500, position=1)
    TicketTypeFactory(
        workshop=workshop,
        name="Private coaching",
        price_cents=12000,
        position=2,
        requires_confirmation=True,
    )
    return SlotFactory(workshop=workshop, capacity=6)


def book_two_seats(page, base_url, slot, screenshot, name):
    page.goto(f"{base_url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wheel-throwing initiation")
    page.get_by_label("Adult").fill("2")
    expect(page.locator("[data-total]")).to_contain_text("130")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Mobile phone").fill("06 12 34 56 78")
    screenshot(page, f"{name}-form")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(r"/pay/dev/"))
    screenshot(page, f"{name}-dev-checkout")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    screenshot(page, f"{name}-order")


@pytest.mark.django_db(transaction=True)
def test_customer_books_two_seats_and_gets_the_same_tickets_by_email(
    live_server, page, screenshot, slot
):
    mail.outbox.clear()
    book_two_seats(page, live_server.url, slot, screenshot, "desktop")
    tickets = page.locator(".ticket")
    expect(tickets).to_have_count(2)
    expect(page.locator(".ticket svg")).to_have_count(2)
    page_codes = sorted(page.locator(".ticket-code").all_inner_texts())

    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED and order.seats == 2
    assert sorted(order.tickets.values_list("code", flat=True)) == page_codes

    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:confirmed:email")
    assert email.status == "sent"
    sent = [m for m in mail.outbox if m.to == ["ada@example.com"]]
    assert len(sent) == 1
    assert all(code in sent[0].body for code in page_codes)
    assert sorted(name for name, *_ in sent[0].attachments if name.endswith(".png")) == [
        f"ticket-1-{order.reference}.png",
        f"ticket-2-{order.reference}.png",
    ]

    page.get_by_role("button", name="Print the tickets").click()
    expect(page.locator(".print-ticket")).to_have_count(2)
    screenshot(page, "desktop-tickets")


@pytest.mark.django_db(transaction=True)
def test_booking_on_a_phone(live_server, phone_context, screenshot, slot):
    page = phone_context.new_page()
    page.goto(f"{live_server.url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_text("Choose at least one seat.")).to_be_visible()
    screenshot(page, "phone-errors")
    book_two_seats(page, live_server.url, slot, screenshot, "phone")
    expect(page.locator(".ticket svg")).to_have_count(2)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page overflows the phone: {width}px"
    page.get_by_role("button", name="Print the tickets").click()
    screenshot(page, "phone-tickets")


@pytest.mark.django_db(transaction=True)
def test_confirm_first_booking_in_french_waits_for_the_artisan(
    live_server, browser, screenshot, slot
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    expect(page.get_by_role("button", name="Continuer vers le paiement")).to_be_visible()
    page.get_by_label("Private coaching").fill("1")
    page.get_by_label("Votre nom").fill("Zoé Martin")
    page.get_by_label("E-mail").fill("zoe@example.com")
    page.get_by_label("Téléphone mobile").fill("+33 6 98 76 54 32")
    page.get_by_role("button", name="Continuer vers le paiement").click()
    expect(page.get_by_text("Autorisation seulement")).to_be_visible()
    page.get_by_role("button", name="Payer", exact=True).click()
    expect(page.get_by_text("En attente de confirmation", exact=True)).to_be_visible()
    screenshot(page, "fr-pending")
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_CONFIRMATION and order.language == "fr"
    assert order.tickets.count() == 0
    context.close()
