"""The privatisation journeys in real Chromium: request → answer → choose and pay; and expiry."""

from datetime import timedelta

import pytest
from django.conf import settings
from playwright.sync_api import expect

from bookings.states import SlotStatus
from notifications.models import Notification
from privatisation.models import PrivatisationRequest
from privatisation.services.deadlines import privatisation_expire_overdue
from privatisation.states import RequestStatus
from tests.factories import PASSWORD, SlotFactory, WorkshopFactory, privatisation_submit


def local_days(workshop, *offsets, hour=10):
    from django.utils import timezone

    today = timezone.localdate(timezone=workshop.tzinfo)
    return [today + timedelta(days=o) for o in offsets]


def sign_in(page, live_server, workshop):
    page.goto(live_server.url + "/backoffice/login/")
    page.get_by_label("Email").fill(workshop.artisan.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.django_db(transaction=True)
def test_full_privatisation_journey(live_server, page, browser, phone_context, screenshot):
    from datetime import datetime, time

    workshop = WorkshopFactory(
        title="Wheel throwing",
        slug="wheel-throwing",
        price_cents=5000,
        private_min_capacity=3,
        private_max_capacity=10,
        duration_minutes=120,
    )
    d1, d2, d3, d4 = local_days(workshop, 10, 11, 12, 14)
    # An empty public slot overlapping the second proposal: the artisan must be warned.
    SlotFactory(
        workshop=workshop, starts_at=datetime.combine(d2, time(15, 0), tzinfo=workshop.tzinfo)
    )

    # --- the customer sends a 3-slot request with a message -----------------------------------
    page.goto(live_server.url + "/workshops/wheel-throwing/privatise/")
    page.get_by_label("Contact name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Mobile phone").fill("06 12 34 56 78")
    page.get_by_label("Number of participants").fill("2")
    expect(page.locator("#live-price")).to_contain_text("€150.00")
    expect(page.locator("#live-price")).to_contain_text("at least 3 participants")
    page.get_by_label("Number of participants").fill("4")
    expect(page.locator("#live-price")).to_contain_text("€200.00")
    page.get_by_role("button", name="Add a slot").click()
    page.get_by_role("button", name="Add a slot").click()
    page.get_by_role("button", name="Add a slot").click()
    rows = page.locator("[data-row]")
    expect(rows).to_have_count(4)
    rows.nth(3).get_by_role("button", name="Remove this slot").click()  # a row too many
    expect(rows).to_have_count(3)
    for i, (day, at) in enumerate([(d1, "10:00"), (d2, "14:00"), (d3, "09:30")]):
        rows.nth(i).locator("input[type=date]").fill(day.isoformat())
        rows.nth(i).locator("input[type=time]").fill(at)
    page.get_by_label("Message to the artisan").fill("A birthday party for my sister!")
    screenshot(page, "1-request-form")
    phone_form = phone_context.new_page()
    phone_form.goto(live_server.url + "/workshops/wheel-throwing/privatise/")
    phone_form.get_by_role("button", name="Send my request").click()  # empty: every error shows
    screenshot(phone_form, "1-request-form-errors-phone")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("Your request is sent")).to_be_visible()
    customer_url = page.url
    screenshot(page, "2-customer-page-sent")
    req = PrivatisationRequest.objects.get()
    assert req.proposed_slots.count() == 3 and req.price_cents == 20000

    # --- the artisan signs in, sees the badge, manages the request ----------------------------
    artisan_ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    artisan = artisan_ctx.new_page()
    sign_in(artisan, live_server, workshop)
    nav_link = artisan.get_by_role("link", name="Privatisation requests")
    expect(nav_link.locator(".badge")).to_have_text("1")
    nav_link.click()
    screenshot(artisan, "3-artisan-list")
    artisan.get_by_role("link", name="Manage the request").click()
    expect(artisan.get_by_text("Overlaps an empty slot")).to_be_visible()
    expect(artisan.get_by_text("will be removed from the calendar")).to_be_visible()
    screenshot(artisan, "4-manage")
    phone_artisan = phone_context.new_page()
    sign_in(phone_artisan, live_server, workshop)
    phone_artisan.goto(artisan.url)
    screenshot(phone_artisan, "4-manage-phone")
    phone_artisan.goto(live_server.url + "/backoffice/privatisation/")
    screenshot(phone_artisan, "3-artisan-list-phone")
    artisan.locator("input[name=accept]").first.check()
    artisan.get_by_role("button", name="Add a slot").click()
    offer_row = artisan.locator("[data-row]").first
    offer_row.locator("input[type=date]").fill(d4.isoformat())
    offer_row.locator("input[type=time]").fill("16:00")
    artisan.get_by_label("Message with your answer").fill(
        "Happy to host you! I can also do the 14th."
    )
    artisan.get_by_role("button", name="Send my answer").click()
    expect(artisan.get_by_text("Your answer is sent")).to_be_visible()
    screenshot(artisan, "5-manage-answered")

    # --- the customer opens the link, chooses and pays on the dev gateway ---------------------
    page.goto(customer_url)
    expect(page.get_by_text("Happy to host you!")).to_be_visible()
    buttons = page.get_by_role("button", name="Choose and pay €200.00")
    expect(buttons).to_have_count(2)
    screenshot(page, "6-customer-choose")
    phone = phone_context.new_page()
    phone.goto(customer_url)
    screenshot(phone, "6-customer-choose-phone")
    buttons.first.click()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Your private session is confirmed on")).to_be_visible()
    screenshot(page, "7-customer-confirmed")

    req.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED
    chosen = req.offers.get(chosen=True)
    other = req.offers.get(chosen=False)
    assert chosen.slot.status == SlotStatus.OPEN and chosen.slot.seats_taken == 4
    other.slot.refresh_from_db()
    assert other.slot.status == SlotStatus.CANCELLED

    artisan.reload()
    expect(artisan.get_by_text("Chosen and paid")).to_be_visible()
    expect(artisan.get_by_text("Removed", exact=True)).to_be_visible()
    screenshot(artisan, "8-artisan-confirmed")
    artisan_ctx.close()


@pytest.mark.django_db(transaction=True)
def test_deadline_passes_and_both_sides_are_told(live_server, page, phone_context, screenshot):
    workshop = WorkshopFactory(slug="bread", title="Sourdough morning")
    req = privatisation_submit(workshop, email="late@example.com")
    # Time travel: the beat job runs 72 hours later.
    assert privatisation_expire_overdue(now=req.respond_by + timedelta(seconds=1)) == 1
    expired = {
        n.idempotency_key
        for n in Notification.objects.filter(idempotency_key__contains=":expired_")
    }
    assert {
        f"privreq:{req.pk}:expired_unanswered:customer:email",
        f"privreq:{req.pk}:expired_unanswered:customer:sms",
        f"privreq:{req.pk}:expired_unanswered:artisan:email",
        f"privreq:{req.pk}:expired_unanswered:artisan:sms",
    } <= expired
    # Sent, not only queued: the artisan's phone got its SMS (local SMS channel's log).
    sms_log = settings.SMS_LOG_FILE.read_text(encoding="utf-8")
    assert workshop.artisan.phone in sms_log and req.phone.replace(" ", "")[-9:] in sms_log.replace(
        " ", ""
    )
    page.goto(f"{live_server.url}/privatisation/{req.token}/")
    expect(page.get_by_text("The artisan did not answer in time.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw my request")).to_have_count(0)
    screenshot(page, "customer-expired")
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/privatisation/{req.token}/")
    screenshot(phone, "customer-expired-phone")

    page.goto(live_server.url + "/backoffice/login/")
    page.get_by_label("Email").fill(workshop.artisan.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/backoffice/privatisation/?status=expired")
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
    screenshot(page, "artisan-expired-list")
