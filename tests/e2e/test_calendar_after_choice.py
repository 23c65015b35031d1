"""Issue 15 in real Chromium: once the customer has chosen and paid, the other slots leave the calendar."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from bookings.models import Slot
from bookings.states import SlotStatus
from privatisation.services.respond import privatisation_request_respond
from tests.e2e.test_privatisation import local_days
from tests.factories import PASSWORD, SlotFactory, WorkshopFactory, privatisation_submit


def sign_in(page, live_server, workshop):
    page.goto(live_server.url + "/backoffice/login/")
    page.get_by_label("Email").fill(workshop.artisan.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Calendar").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_after_payment_only_the_chosen_session_is_on_the_calendar(
    live_server, page, browser, phone_context, screenshot
):
    workshop = WorkshopFactory(
        title="Wheel throwing",
        slug="wheel-throwing",
        price_cents=5000,
        private_min_capacity=3,
        private_max_capacity=10,
        duration_minutes=120,
    )
    d1, d2, d3 = local_days(workshop, 10, 11, 12)
    tz = workshop.tzinfo
    starts = [datetime.combine(day, time(10, 0), tzinfo=tz) for day in (d1, d2, d3)]
    # An empty public slot under the second proposal: it is removed to make room.
    empty = SlotFactory(
        workshop=workshop, starts_at=starts[1], ends_at=starts[1] + timedelta(hours=2), capacity=8
    )
    req = privatisation_submit(workshop, starts=starts)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[p.pk for p in req.proposed_slots.all()],
        offer_starts=[],
        message="Any of these!",
    )
    assert Slot.objects.get(pk=empty.pk).status == SlotStatus.CANCELLED

    artisan_ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    artisan = artisan_ctx.new_page()
    sign_in(artisan, live_server, workshop)
    calendar_url = f"{live_server.url}/backoffice/calendar/?month={d1:%Y-%m}"
    artisan.goto(calendar_url)
    month = artisan.locator(".cal-slot")
    # Three offers held for the customer; the removed empty slot is not shown.
    in_month = sum(1 for day in (d1, d2, d3) if day.month == d1.month)
    expect(artisan.locator(".cal-slot-private")).to_have_count(in_month)
    expect(month).to_have_count(in_month)
    expect(artisan.locator(".cal-slot-cancelled")).to_have_count(0)
    screenshot(artisan, "1-calendar-offers")

    # The customer chooses the first slot and pays on the dev gateway.
    page.goto(f"{live_server.url}/privatisation/{req.token}/")
    page.get_by_role("button", name="Choose and pay").first.click()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Your private session is confirmed on")).to_be_visible()

    artisan.goto(calendar_url)
    expect(month).to_have_count(1)
    expect(month.first).to_contain_text("Private session")
    expect(artisan.locator(".cal-slot-cancelled")).to_have_count(0)
    expect(artisan.locator("del")).to_have_count(0)
    screenshot(artisan, "2-calendar-after-payment")
    phone = phone_context.new_page()
    sign_in(phone, live_server, workshop)
    phone.goto(calendar_url)
    expect(phone.locator(".cal-slot")).to_have_count(1)
    screenshot(phone, "2-calendar-after-payment-phone")
    artisan_ctx.close()
