import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ArtisanFactory, SlotFactory, WorkshopFactory


def _catalogue():
    claire = ArtisanFactory(
        display_name="Atelier Claire Dubois", bio="Potter in Paris for twenty years."
    )
    wheel = WorkshopFactory(
        artisan=claire,
        title="Wheel-throwing initiation",
        slug="wheel-throwing",
        city="Paris",
        address="12 rue des Potiers, 75011 Paris",
        price_cents=6550,
        duration_minutes=150,
        description="Centre the clay, open it, raise your first bowl.\n\nYou leave with two pieces, fired and glazed.",
        practical_info="Wear clothes that can get muddy. Aprons and tools are provided.",
    )
    WorkshopFactory(artisan=claire, title="Sourdough bread morning", city="Lyon", price_cents=4500)
    WorkshopFactory(title="Create your natural perfume", city="Grasse", price_cents=8900)
    tz = wheel.tzinfo
    today = timezone.localdate()
    for day in range(2, 20, 3):
        for hour in (10, 15):
            starts = datetime.combine(today + timedelta(days=day), time(hour), tzinfo=tz)
            SlotFactory(
                workshop=wheel,
                starts_at=starts,
                capacity=6,
                seats_taken=6 if day == 5 and hour == 10 else 2,
            )
    return wheel


@pytest.mark.django_db(transaction=True)
def test_customer_browses_to_a_workshop_in_english_then_french(live_server, page, screenshot):
    _catalogue()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hands-on workshops")
    expect(page.get_by_text("€65.50").first).to_be_visible()
    screenshot(page, "home-en")

    page.get_by_role("link", name=re.compile("Wheel-throwing initiation")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wheel-throwing initiation")
    expect(page.get_by_role("heading", name="Upcoming dates")).to_be_visible()
    expect(page.get_by_text("4 seats left").first).to_be_visible()
    expect(page.get_by_text("Full").first).to_be_visible()
    expect(page.locator(".price-amount")).to_have_text("€65.50")
    screenshot(page, "workshop-en")

    page.select_option("#language-select", "fr")
    expect(page.get_by_role("heading", name="Dates à venir")).to_be_visible()
    expect(page.locator(".price-amount")).to_have_text("65,50\xa0€")
    expect(page.get_by_text("4 places restantes").first).to_be_visible()
    expect(page.get_by_text("Complet").first).to_be_visible()
    first_date = page.locator(".slot-date").first.inner_text().lower()
    assert re.search(
        r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ \w+", first_date
    ), first_date
    expect(page.locator(".facts dd").first).to_have_text("2 h 30")
    screenshot(page, "workshop-fr")

    page.get_by_role("link", name=re.compile("Tous les ateliers")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers pratiques")
    screenshot(page, "home-fr")


@pytest.mark.django_db(transaction=True)
def test_workshop_page_reads_well_on_a_phone(live_server, phone_context, screenshot):
    wheel = _catalogue()
    page = phone_context.new_page()
    page.goto(live_server.url + "/")
    screenshot(page, "phone-home")
    page.goto(f"{live_server.url}/workshops/{wheel.slug}/")
    expect(page.get_by_role("heading", name="Upcoming dates")).to_be_visible()
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-workshop")
