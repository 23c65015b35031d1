"""Issue 15 in real Chromium: the company form's own terms, the proposed-slot rows on a phone,
the ticket-type editor on both sizes, and the request page after an answer and after a deadline."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from privatisation.services.deadlines import privatisation_expire_overdue
from privatisation.services.respond import privatisation_request_respond
from tests.factories import PASSWORD, TicketTypeFactory, WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/backoffice/login/")
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_company_form_shows_its_own_deadline_and_a_quote_instead_of_a_price(
    live_server, page, phone_context, screenshot
):
    WorkshopFactory(slug="wheel", title="Wheel throwing", price_cents=5000, private_min_capacity=3)
    page.goto(live_server.url + "/workshops/wheel/privatise/")
    individual = page.locator("[data-kind-terms=individual]").first
    company = page.locator("[data-kind-terms=company]").first
    expect(individual).to_contain_text("within 72 hours")
    expect(company).to_be_hidden()
    expect(page.locator("#live-price")).to_be_visible()
    page.get_by_label("Company", exact=True).check()
    expect(company).to_be_visible()
    expect(company).to_contain_text("within 5 days with a quote")
    expect(individual).to_be_hidden()
    expect(page.locator("#live-price")).to_be_hidden()
    expect(page.get_by_text("A quote will follow")).to_be_visible()
    expect(page.get_by_label("Company name")).to_be_visible()
    screenshot(page, "company-terms")
    phone = phone_context.new_page()
    phone.goto(live_server.url + "/workshops/wheel/privatise/")
    phone.get_by_label("Company", exact=True).check()
    expect(phone.locator("[data-kind-terms=company]").first).to_be_visible()
    screenshot(phone, "company-terms-phone")


def test_each_proposed_slot_row_keeps_its_remove_button_on_its_line_on_a_phone(
    live_server, phone_context, screenshot
):
    WorkshopFactory(slug="wheel", title="Wheel throwing")
    phone = phone_context.new_page()
    phone.goto(live_server.url + "/workshops/wheel/privatise/")
    phone.get_by_role("button", name="Add a slot").click()
    rows = phone.locator("[data-row]")
    expect(rows).to_have_count(2)
    for i in range(2):
        date_box = rows.nth(i).locator("input[type=date]").bounding_box()
        remove_box = rows.nth(i).get_by_role("button", name="Remove this slot").bounding_box()
        row_box = rows.nth(i).bounding_box()
        # Same line: the button's middle lies within the height of the date field, inside the row.
        middle = remove_box["y"] + remove_box["height"] / 2
        assert date_box["y"] <= middle <= date_box["y"] + date_box["height"] + 8, (
            date_box,
            remove_box,
        )
        assert remove_box["x"] + remove_box["width"] <= row_box["x"] + row_box["width"] + 1
        assert date_box["width"] >= 110  # still a usable date field
    rows.first.scroll_into_view_if_needed()
    screenshot(phone, "slot-rows-phone")


def test_ticket_type_editor_reads_like_the_rest_of_the_back_office(
    live_server, page, phone_context, screenshot
):
    workshop = WorkshopFactory(title="Wheel throwing")
    TicketTypeFactory(workshop=workshop, name="Standard")
    sign_in(page, live_server, workshop.artisan.user)
    url = f"{live_server.url}/backoffice/activity/{workshop.pk}/"
    page.goto(url)
    name = page.locator("#ticket-types input[name$='-name']").first
    expect(name).to_have_value("Standard")
    assert name.bounding_box()["width"] > 300  # was ~95 px at 1280 px
    page.locator("#ticket-types").scroll_into_view_if_needed()
    screenshot(page, "ticket-types")
    phone = phone_context.new_page()
    sign_in(phone, live_server, workshop.artisan.user)
    phone.goto(url)
    for label in phone.locator("#ticket-types label").all():
        if label.is_visible():
            box = label.bounding_box()
            assert box["width"] > 60, label.inner_text()  # not one letter per line
    assert phone.locator("#ticket-types input[name$='-name']").first.bounding_box()["width"] > 250
    phone.locator("#ticket-types").scroll_into_view_if_needed()
    screenshot(phone, "ticket-types-phone")


def test_request_page_says_who_proposed_each_slot_then_explains_the_expiry(
    live_server, page, phone_context, screenshot
):
    workshop = WorkshopFactory(
        slug="bread", title="Sourdough morning", price_cents=5000, private_min_capacity=3
    )
    req = privatisation_submit(workshop)
    start = (
        (timezone.now() + timedelta(days=20)).astimezone(workshop.tzinfo).replace(hour=16, minute=0)
    )
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[start],
        message="Happy to host you — or a day later if you prefer.",
    )
    page.goto(f"{live_server.url}/privatisation/{req.token}/")
    expect(page.get_by_text("You proposed it")).to_have_count(1)
    expect(page.get_by_text("Suggested by the artisan instead")).to_have_count(1)
    expect(page.get_by_text("It is not the answer to the request.")).to_be_visible()
    screenshot(page, "answered")
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/privatisation/{req.token}/")
    screenshot(phone, "answered-phone")

    req.refresh_from_db()
    privatisation_expire_overdue(now=req.pay_by + timedelta(seconds=1))
    page.reload()
    expect(page.get_by_text("No slot was chosen and paid in time.")).to_be_visible()
    expect(page.get_by_text("released and nothing was charged")).to_be_visible()
    screenshot(page, "expired-unpaid")
    phone.reload()
    screenshot(phone, "expired-unpaid-phone")
    sign_in(page, live_server, workshop.artisan.user)
    page.goto(f"{live_server.url}/backoffice/privatisation/{req.pk}/")
    expect(page.get_by_text("The customer did not choose and pay in time.")).to_be_visible()
    screenshot(page, "manage-expired")
