"""An artisan in real Chromium: signs in, opens a weekly series, checks the month view,
and edits the privatisation settings of a workshop (with a clear error for min > max)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD, ArtisanFactory, OrderFactory, SlotFactory, WorkshopFactory


def first_monday_of_month_after_next(today: date) -> date:
    month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    month = (month + timedelta(days=32)).replace(day=1)
    return month + timedelta(days=(7 - month.weekday()) % 7)


def sign_in(page, live_server, artisan):
    page.goto(live_server.url + "/backoffice/")
    page.get_by_label("Email").fill(artisan.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/backoffice/calendar/")


@pytest.mark.django_db(transaction=True)
def test_artisan_opens_a_weekly_series_and_edits_privatisation(
    live_server, page, phone_context, screenshot
):
    artisan = ArtisanFactory(display_name="Atelier Claire", user__first_name="Claire")
    workshop = WorkshopFactory(
        artisan=artisan,
        title="Wheel-throwing initiation",
        duration_minutes=150,
        default_capacity=6,
        private_min_capacity=2,
        private_max_capacity=8,
    )
    WorkshopFactory(artisan=artisan, title="Sourdough bread morning")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    sign_in(page, live_server, artisan)

    # A weekly series of four Mondays at 10:00.
    monday = first_monday_of_month_after_next(timezone.localdate())
    page.get_by_role("button", name="New slot", exact=True).click()
    page.get_by_label("Workshop").select_option(label="Wheel-throwing initiation")
    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("Start", exact=True).fill("10:00")
    expect(page.get_by_label("End", exact=True)).to_have_value(
        "12:30"
    )  # filled from the workshop's duration
    expect(page.get_by_label("Last date")).to_be_hidden()
    page.get_by_label("Every week until…").check()
    page.get_by_label("Last date").fill((monday - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("The last date is before the first one.")).to_be_visible()
    screenshot(page, "slot-form-error")
    page.get_by_label("Last date").fill((monday + timedelta(weeks=3)).isoformat())
    screenshot(page, "slot-form")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_text("4 weekly slots are on your calendar.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(monday.strftime("%B %Y"))
    slots = page.locator(".cal-slot", has_text="Wheel-throwing initiation")
    expect(slots).to_have_count(4)
    expect(slots.first).to_contain_text("10:00")
    expect(slots.first).to_contain_text("0/6")
    # A booked slot and a held private slot of the same month, to see every state.
    booked = SlotFactory(
        workshop=workshop, starts_at=workshop_start(workshop, monday + timedelta(days=2), 15)
    )
    booked.seats_taken = 3
    booked.save()
    OrderFactory(slot=booked, seats=3, customer_name="Ada Lovelace")
    SlotFactory(
        workshop=workshop,
        starts_at=workshop_start(workshop, monday + timedelta(days=4), 14),
        kind="private",
        status="held",
    )
    page.reload()
    expect(page.locator(".badge-private")).to_have_text("Held for a request")
    screenshot(page, "calendar-month-desktop")
    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.locator(".cal-slot")).to_have_count(3)
    screenshot(page, "calendar-week-desktop")
    page.get_by_role("button", name="Month", exact=True).click()

    phone_context.add_cookies(page.context.cookies())
    phone = phone_context.new_page()
    phone.goto(page.url)
    expect(phone.locator(".cal-slot").first).to_be_visible()
    assert_fits_the_phone(phone)
    screenshot(phone, "calendar-month-phone")
    phone.get_by_role("button", name="Week", exact=True).click()
    assert_fits_the_phone(phone)
    screenshot(phone, "calendar-week-phone")

    # Privatisation settings: min above max is refused next to the fields.
    page.get_by_role("link", name="My activity").click()
    screenshot(page, "activity-desktop")
    page.get_by_role("link", name="Wheel-throwing initiation").click()
    page.get_by_label("Private minimum participants").fill("12")
    page.get_by_label("Private maximum participants").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("The private minimum cannot be above the private maximum.")
    ).to_be_visible()
    expect(page.get_by_text("Please correct the errors below.")).to_be_visible()
    page.locator("#privatisation").scroll_into_view_if_needed()
    screenshot(page, "workshop-min-above-max")

    page.get_by_label("Private minimum participants").fill("4")
    page.get_by_label("Private maximum participants").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("“Wheel-throwing initiation” is saved.")).to_be_visible()
    workshop.refresh_from_db()
    assert (workshop.private_min_capacity, workshop.private_max_capacity) == (4, 12)

    phone.goto(page.url)
    assert_fits_the_phone(phone)
    screenshot(phone, "workshop-form-phone")
    phone.goto(f"{live_server.url}/backoffice/slots/{booked.pk}/participants/")
    expect(phone.get_by_text("Ada Lovelace")).to_be_visible()
    assert_fits_the_phone(phone)
    screenshot(phone, "participants-phone")
    page.goto(f"{live_server.url}/backoffice/slots/{booked.pk}/participants/")
    screenshot(page, "participants-desktop")

    # Cancelling a booked slot: a confirmation step with a message, then the slot is struck through.
    page.get_by_role("button", name="Cancel the slot").click()
    expect(
        page.get_by_text("1 confirmed order will be told by email, with your message.")
    ).to_be_visible()
    page.get_by_label("Message to the participants").fill(
        "The kiln broke. I will call you to find another date."
    )
    screenshot(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel the slot").click()
    expect(
        page.get_by_text("The slot is cancelled; the participants are being told.")
    ).to_be_visible()
    screenshot(page, "cancelled-slot")
    page.get_by_role("link", name="← Calendar").click()
    expect(page.locator(".cal-slot-cancelled")).to_have_count(1)

    # The same back-office in French, through the language switcher.
    page.goto(f"{live_server.url}/backoffice/calendar/?month={monday:%Y-%m}")
    page.locator("#language-select").select_option("fr")
    expect(page.get_by_role("link", name="Mon activité")).to_be_visible()
    expect(page.get_by_text("Réservé pour une demande")).to_be_visible()
    screenshot(page, "calendar-month-desktop-fr")


def assert_fits_the_phone(page):
    """Nothing sticks out to the right of a 390 px screen."""
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""
    )
    assert wide == [], wide


def workshop_start(workshop, day, hour):
    from datetime import datetime

    return datetime(day.year, day.month, day.day, hour, tzinfo=workshop.tzinfo)
