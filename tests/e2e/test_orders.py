"""The artisan's Orders section in Chromium: a customer books and pays; the artisan finds the
order by email, opens it (tickets, payment, history) — on a desktop, in French, on a phone."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from bookings.models import Order
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    OrderFactory,
    SlotFactory,
    TicketTypeFactory,
    WorkshopFactory,
)


def book_and_pay(page, base_url, slot, email):
    page.goto(f"{base_url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.get_by_label("Adult").fill("2")
    page.get_by_label("Your name").fill("Inès Martin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mobile phone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(r"/pay/dev/"))
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()


def sign_in(page, base_url, artisan):
    page.context.clear_cookies()
    page.goto(f"{base_url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/backoffice/calendar/"))


@pytest.fixture
def booked(live_server, page):
    artisan = ArtisanFactory(display_name="Atelier Claire Dubois")
    workshop = WorkshopFactory(artisan=artisan, title="Wheel-throwing initiation", price_cents=6500)
    TicketTypeFactory(workshop=workshop, name="Adult", price_cents=6500)
    slot = SlotFactory(workshop=workshop, capacity=6)
    # Other customers' orders, and another artisan's, around the one we look for.
    for n in range(3):
        OrderFactory(slot=slot, customer_name=f"Someone {n}", customer_email=f"s{n}@example.com")
    OrderFactory(customer_email="ines@example.com")  # another artisan's customer
    page.set_default_timeout(10_000)
    book_and_pay(page, live_server.url, slot, "ines@example.com")
    order = Order.objects.get(customer_email="ines@example.com", slot=slot)
    return artisan, order


@pytest.mark.django_db(transaction=True)
def test_artisan_finds_an_order_by_email_and_sees_its_tickets_payment_and_history(
    live_server, page, screenshot, booked
):
    artisan, order = booked
    sign_in(page, live_server.url, artisan)
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Orders", level=1)).to_be_visible()
    expect(page.locator("table.orders-table tbody tr")).to_have_count(4)
    screenshot(page, "list")

    page.get_by_role("searchbox").fill("  INES@example.com ")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.orders-table tbody tr")
    expect(rows).to_have_count(1)  # the other artisan's order with the same email is not shown
    expect(rows.first).to_contain_text("Inès Martin")
    screenshot(page, "found")

    page.get_by_role("link", name=order.reference).click()
    expect(page.get_by_role("heading", name=f"Order {order.reference}")).to_be_visible()
    for ticket in order.tickets.all():
        expect(page.get_by_text(ticket.code)).to_be_visible()
    payments = page.locator("table.order-payments")
    expect(payments).to_contain_text("Captured")
    expect(payments).to_contain_text("€130.00")
    history = page.locator("table.order-history")
    expect(history).to_contain_text("Awaiting payment → Confirmed")
    screenshot(page, "order")


@pytest.mark.django_db(transaction=True)
def test_orders_on_a_phone_in_french(live_server, page, phone_context, screenshot, booked):
    artisan, order = booked
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    phone_context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    phone.goto(f"{live_server.url}/backoffice/login/")
    phone.fill("#id_username", artisan.user.username)
    phone.fill("#id_password", PASSWORD)
    phone.locator("button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/backoffice/calendar/"))
    phone.goto(f"{live_server.url}/backoffice/orders/?q=06+12+34+56+78")
    expect(phone.get_by_role("heading", name="Commandes", level=1)).to_be_visible()
    expect(phone.locator("table.orders-table tbody tr")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-list-fr")

    phone.goto(f"{live_server.url}/backoffice/orders/?date_from=9999-12-31")
    expect(phone.get_by_text("Choisissez une date entre 2000 et 2099.")).to_be_visible()

    phone.goto(f"{live_server.url}/backoffice/orders/{order.reference}/")
    expect(phone.get_by_role("heading", name=f"Commande {order.reference}")).to_be_visible()
    expect(phone.locator("table.order-history")).to_contain_text("Confirmée")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-order-fr")

    phone.get_by_role("button", name="Annuler la commande").click()
    expect(phone.get_by_label("Montant à rembourser")).to_have_value("130")
    phone.get_by_label("Montant à rembourser").fill("200")
    phone.get_by_label("Message au client").fill("Le four est en panne.")
    phone.get_by_role("button", name="Annuler la commande").click()
    expect(
        phone.get_by_text("Saisissez un montant supérieur à 0 et d’au plus 130,00")
    ).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "phone-cancel-error-fr")
    order.refresh_from_db()
    assert order.status == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_artisan_moves_an_order_to_a_full_session_after_a_warning_and_sees_the_history(
    live_server, page, screenshot, booked
):
    artisan, order = booked
    full = SlotFactory(
        workshop=order.slot.workshop,
        capacity=2,
        starts_at=order.slot.starts_at + timedelta(days=7),
    )
    OrderFactory(slot=full, seats=2)
    sign_in(page, live_server.url, artisan)
    page.goto(f"{live_server.url}/backoffice/orders/?q={order.reference.lower()}")
    page.get_by_role("link", name=order.reference).click()
    page.get_by_role("button", name="Move to another session").click()
    page.get_by_label("New session").select_option(value=str(full.pk))
    page.get_by_label("Message to the customer (optional)").fill("The kiln is free that day.")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Move the order?")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("raised from 2 to 4 seats")
    screenshot(page, "move-confirm")
    page.get_by_role("button", name="Move the order").click()

    expect(page.get_by_text("The order is moved; the customer is being told.")).to_be_visible()
    history = page.locator("table.order-history")
    expect(history).to_contain_text("moved from")
    expect(history).to_contain_text("The kiln is free that day.")
    expect(history).to_contain_text(artisan.user.email)
    order.refresh_from_db()
    full.refresh_from_db()
    assert order.slot_id == full.pk and full.seats_taken == 4
    codes = list(order.tickets.values_list("code", flat=True))
    assert len(codes) == 2
    for code in codes:
        expect(page.get_by_text(code)).to_be_visible()
    screenshot(page, "moved")
