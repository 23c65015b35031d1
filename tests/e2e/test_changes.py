"""After the booking, on a 390-px phone: a customer moves their booking to another date then
cancels it from the order page (English and French); a customer of a cancelled date picks
another one."""

import re

import pytest
from playwright.sync_api import expect

from bookings.models import DevPayment, Order
from bookings.services.slots import slot_cancel
from bookings.states import OrderStatus
from tests.bookings.conftest import make_slot
from tests.bookings.test_orders import pay_on_dev_gateway, place
from tests.factories import TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {
        "until": "Free changes until",
        "move": "Move to another date",
        "yes_move": "Yes, move my booking",
        "moved": "Your booking is moved",
        "cancel": "Cancel my booking",
        "refund": "will be refunded to the card",
        "yes_cancel": "Yes, cancel my booking",
        "cancelled": "Cancelled",
        "cancelled_date": "Date cancelled",
        "choose": "Choose another date",
    },
    "fr": {
        "until": "Modifications gratuites jusqu’au",
        "move": "Changer de date",
        "yes_move": "Oui, déplacer ma réservation",
        "moved": "Votre réservation est déplacée",
        "cancel": "Annuler ma réservation",
        "refund": "seront remboursés sur la carte",
        "yes_cancel": "Oui, annuler ma réservation",
        "cancelled": "Annulé",
        "cancelled_date": "Date annulée",
        "choose": "Choisir une autre date",
    },
}


@pytest.fixture
def booking():
    """A paid order of two seats, ten days ahead; another date a week later."""
    workshop = WorkshopFactory(
        title="Wheel-throwing initiation", price_cents=6500, timezone="Europe/Paris"
    )
    adult = TicketTypeFactory(workshop=workshop, name="Adult", price_cents=6500)
    first, second = make_slot(workshop, 10), make_slot(workshop, 17)
    order = place(first, {adult.pk: 2})
    pay_on_dev_gateway(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return order, first, second


def phone(browser, language):
    return browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="fr-FR" if language == "fr" else "en-GB",
        is_mobile=True,
        timezone_id="Europe/Paris",
    )


def fits_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page overflows the phone: {width}px"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_customer_moves_then_cancels_from_the_order_page(
    live_server, browser, screenshot, booking, language
):
    order, first, second = booking
    words = WORDS[language]
    old_codes = set(order.tickets.values_list("code", flat=True))
    context = phone(browser, language)
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{order.token}/")
    expect(page.get_by_text(words["until"])).to_be_visible()
    fits_the_phone(page)
    screenshot(page, f"{language}-order")

    page.get_by_role("button", name=words["move"]).click()
    page.locator(f"a[href$='/move/{second.pk}/']").click()
    fits_the_phone(page)
    screenshot(page, f"{language}-move-confirm")
    page.get_by_role("button", name=words["yes_move"]).click()
    expect(page.get_by_text(words["moved"])).to_be_visible()
    new_codes = set(page.locator(".ticket-code").all_inner_texts())
    assert len(new_codes) == 2 and not new_codes & old_codes
    screenshot(page, f"{language}-moved")
    order.refresh_from_db()
    assert order.slot_id == second.pk and order.moves_count == 1

    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.get_by_text(words["refund"])).to_contain_text(re.compile(r"130[.,]00"))
    fits_the_phone(page)
    screenshot(page, f"{language}-cancel-confirm")
    page.get_by_role("button", name=words["yes_cancel"]).click()
    expect(page.locator(".status", has_text=words["cancelled"])).to_be_visible()
    screenshot(page, f"{language}-cancelled")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert DevPayment.objects.get(reference=order.payment_intent_id).refunded_cents == 13000
    context.close()


def test_customer_of_a_cancelled_date_picks_another_one(live_server, browser, screenshot, booking):
    order, first, second = booking
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="The kiln broke.")
    context = phone(browser, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{order.token}/")
    expect(page.get_by_text(WORDS["en"]["cancelled_date"])).to_be_visible()
    expect(page.get_by_text("The kiln broke.")).to_be_visible()
    fits_the_phone(page)
    screenshot(page, "choose")
    page.get_by_role("button", name=WORDS["en"]["choose"]).click()
    page.locator(f"a[href$='/move/{second.pk}/']").click()
    page.get_by_role("button", name=WORDS["en"]["yes_move"]).click()
    expect(page.get_by_text(WORDS["en"]["moved"])).to_be_visible()
    screenshot(page, "chosen")
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.CONFIRMED and order.slot_id == second.pk
    assert order.moves_count == 0
    context.close()


def test_after_the_deadline_the_page_says_why_and_how_to_reach_the_artisan(
    live_server, browser, screenshot
):
    workshop = WorkshopFactory(title="Wheel-throwing initiation", timezone="Europe/Paris")
    adult = TicketTypeFactory(workshop=workshop, name="Adult")
    order = place(make_slot(workshop, 2), {adult.pk: 1})  # the 4-day deadline has passed
    pay_on_dev_gateway(order)
    context = phone(browser, "fr")
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{order.token}/")
    expect(page.get_by_text("ce délai est passé")).to_be_visible()
    expect(page.locator(f"a[href='mailto:{workshop.artisan.email}']")).to_be_visible()
    expect(page.get_by_role("button", name=WORDS["fr"]["move"])).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "too-late")
    context.close()
