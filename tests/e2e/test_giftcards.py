"""Gift cards in the browser: buy one, open the recipient's email, book paying part by gift card
and part by card, see the balance; in French on a phone too."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import GiftCard, Order
from bookings.states import GiftCardStatus, OrderStatus
from notifications.models import Notification
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory


@pytest.fixture
def slot():
    workshop = WorkshopFactory(title="Sourdough bread", price_cents=6500)
    TicketTypeFactory(workshop=workshop, name="Adult", price_cents=6500)
    return SlotFactory(workshop=workshop, capacity=6)


def buy_card(page, base_url, screenshot, name, *, labels):
    page.goto(f"{base_url}/")
    page.get_by_role("link", name=labels["nav"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(labels["title"])
    page.get_by_label(labels["amount"]).check()
    page.get_by_label(labels["your_name"]).fill("Ada Lovelace")
    page.get_by_label(labels["your_email"]).fill("ada@example.com")
    page.get_by_label(labels["recipient_name"]).fill("Bob")
    page.get_by_label(labels["recipient_email"]).fill("bob@example.com")
    page.get_by_label(labels["message"]).fill("Happy birthday, Bob! Bake something good.")
    screenshot(page, f"{name}-buy")
    page.get_by_role("button", name=labels["continue"]).click()
    expect(page).to_have_url(re.compile(r"/pay/dev/"))
    page.get_by_role("button", name=labels["pay"], exact=True).click()
    card = GiftCard.objects.get(recipient_email="bob@example.com")
    expect(page.get_by_text(card.display_code)).to_be_visible()
    screenshot(page, f"{name}-card")
    return card


def recipient_opens_the_email(page, base_url, card, screenshot, name):
    email = Notification.objects.get(recipient="bob@example.com")
    assert card.display_code in email.body_text and "Happy birthday" in email.body_text
    link = re.search(r"https?://\S+(/gift-cards/c/[^/\s]+/)", email.body_text)
    page.goto(base_url + link.group(1))  # the link's path, on the test server
    expect(page.locator(".gift-card svg.qr")).to_be_visible()
    expect(page.get_by_text("Happy birthday, Bob!")).to_be_visible()
    screenshot(page, f"{name}-recipient-card")


EN = {
    "nav": "Gift card",
    "title": "Give a workshop",
    "amount": "€50.00",
    "your_name": "Your name",
    "your_email": "Your email",
    "recipient_name": "Recipient's name",
    "recipient_email": "Recipient's email",
    "message": "Message",
    "continue": "Continue to payment",
    "pay": "Pay",
}
FR = {
    "nav": "Carte cadeau",
    "title": "Offrir un atelier",
    "amount": "50,00 €",
    "your_name": "Votre nom",
    "your_email": "Votre e-mail",
    "recipient_name": "Nom du destinataire",
    "recipient_email": "E-mail du destinataire",
    "message": "Message",
    "continue": "Continuer vers le paiement",
    "pay": "Payer",
}


@pytest.mark.django_db(transaction=True)
def test_buy_a_card_then_book_paying_part_by_gift_card_and_see_the_balance(
    live_server, page, screenshot, slot
):
    card = buy_card(page, live_server.url, screenshot, "desktop", labels=EN)
    card.refresh_from_db()
    assert card.status == GiftCardStatus.ACTIVE and card.balance_cents == 5000
    recipient_opens_the_email(page, live_server.url, card, screenshot, "desktop")

    # Bob books one seat (€65): the card pays €50, his bank card €15.
    page.goto(f"{live_server.url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.get_by_label("Adult").fill("1")
    page.get_by_label("Your name").fill("Bob")
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Mobile phone").fill("06 12 34 56 78")
    page.get_by_label("Gift card code").fill(card.display_code.lower().replace("-", " "))
    page.get_by_role("button", name="Apply the gift card").click()
    expect(page.get_by_text("Left to pay by card: €15.00.")).to_be_visible()
    screenshot(page, "desktop-book-with-code")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(r"/pay/dev/"))
    expect(page.get_by_text("15.00").first).to_be_visible()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.get_by_text("Paid by gift card")).to_be_visible()
    screenshot(page, "desktop-order")
    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED

    page.goto(f"{live_server.url}/gift-cards/balance/")
    page.get_by_label("Gift card code").fill(card.code)
    page.get_by_role("button", name="Check the balance").click()
    expect(page.get_by_text("€0.00 left")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(order.reference))).to_have_count(1)
    screenshot(page, "desktop-balance")


@pytest.mark.django_db(transaction=True)
def test_buy_and_check_a_card_in_french_on_a_phone(live_server, browser, screenshot, slot):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True
    )
    page = context.new_page()
    card = buy_card(page, live_server.url, screenshot, "phone-fr", labels=FR)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    recipient_opens_the_email(page, live_server.url, card, screenshot, "phone-fr")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{live_server.url}/gift-cards/balance/")
    page.get_by_label("Code de la carte cadeau").fill("nope")
    page.get_by_role("button", name="Voir le solde").click()
    expect(page.get_by_text("Un code de carte cadeau a 12 lettres")).to_be_visible()
    page.get_by_label("Code de la carte cadeau").fill(card.display_code.lower())
    page.get_by_role("button", name="Voir le solde").click()
    expect(page.get_by_text("Il reste 50,00 €")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-fr-balance")

    page.goto(f"{live_server.url}/workshops/{slot.workshop.slug}/book/{slot.pk}/")
    page.get_by_label("Adult").fill("1")
    page.get_by_label("Code de la carte cadeau").fill(card.code)
    page.get_by_role("button", name="Appliquer la carte cadeau").click()
    expect(page.get_by_text("Reste à payer par carte bancaire : 15,00 €.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-fr-book")
    context.close()
