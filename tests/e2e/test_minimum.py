"""An artisan upholds a slot below its minimum from the SMS link, on a 390-px phone (en, fr)."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Slot
from bookings.services.minimum import slots_minimum_check
from bookings.states import MinimumDecision, SlotStatus
from notifications.models import Notification
from tests.factories import ArtisanFactory, OrderFactory, SlotFactory, WorkshopFactory

TEXTS = {
    "en": {
        "question": "Uphold or cancel this date?",
        "uphold": "Uphold: the workshop takes place",
        "done": "This date is upheld",
        "runs": "Confirmed to run",
    },
    "fr": {
        "question": "Maintenir ou annuler cette date ?",
        "uphold": "Maintenir : l’atelier a lieu",
        "done": "Cette date est maintenue",
    },
}


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.django_db(transaction=True)
def test_artisan_upholds_a_slot_from_the_sms_link_on_a_phone(
    live_server, phone_context, screenshot, language
):
    texts = TEXTS[language]
    artisan = ArtisanFactory(language=language, phone="+33612345678")
    workshop = WorkshopFactory(
        artisan=artisan, title="Raku firing", slug=f"raku-{language}", min_participants=3
    )
    start = (timezone.now() + timedelta(days=6)).replace(minute=0, second=0, microsecond=0)
    slot = SlotFactory(workshop=workshop, starts_at=start)
    OrderFactory(slot=slot, seats=1)
    assert slots_minimum_check() == 1

    sms = Notification.objects.get(idempotency_key=f"slot:{slot.pk}:minimum:sms")
    assert sms.recipient == artisan.phone and sms.language == language
    link = re.search(r"https?://\S+", sms.body_text).group(0)
    page = phone_context.new_page()
    page.goto(live_server.url + urlparse(link).path)  # signed out, as from the SMS
    expect(page.get_by_role("heading", name=texts["question"])).to_be_visible()
    expect(page.get_by_text("Raku firing")).to_be_visible()
    assert no_horizontal_overflow(page)
    screenshot(page, "1-decide")

    uphold = page.get_by_role("button", name=texts["uphold"])
    box = uphold.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300  # one big tap target on a phone
    uphold.click()
    expect(page.get_by_role("heading", name=texts["done"])).to_be_visible()
    expect(page.get_by_role("button", name=texts["uphold"])).to_have_count(0)
    assert no_horizontal_overflow(page)
    screenshot(page, "2-upheld")

    slot.refresh_from_db()
    assert slot.min_decision == MinimumDecision.UPHELD and slot.status == SlotStatus.OPEN
    # Back (a double tap, a reload of the POST): nothing more happens.
    page.go_back()
    page.reload()
    assert Slot.objects.get(pk=slot.pk).min_decision == MinimumDecision.UPHELD

    # The public page (in the visitor's language: the phone is en-GB) now says the date runs.
    page.goto(live_server.url + f"/workshops/{workshop.slug}/")
    expect(page.get_by_text(TEXTS["en"]["runs"])).to_be_visible()
    assert no_horizontal_overflow(page)
    screenshot(page, "3-workshop-page")


@pytest.mark.django_db(transaction=True)
def test_a_tampered_link_is_a_clear_404(live_server, phone_context):
    page = phone_context.new_page()
    response = page.goto(live_server.url + "/backoffice/minimum/not-a-signature/")
    assert response.status == 404
