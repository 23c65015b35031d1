""" "Tell me when new dates open" in real Chromium: a customer subscribes on the workshop page
(390-px phone), confirms from the outbox's link, the artisan opens dates in the back-office,
the sweep sends the email listing them, the customer unsubscribes; the same in French."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import DateAlert
from bookings.services.date_alerts import (
    ALERT_TEMPLATE,
    CONFIRM_TEMPLATE,
    GATHER,
    date_alerts_send_due,
)
from bookings.states import DateAlertStatus
from notifications.models import Notification
from tests.e2e.test_backoffice import (
    assert_fits_the_phone,
    first_monday_of_month_after_next,
    sign_in,
)
from tests.factories import ArtisanFactory, WorkshopFactory


def _link(notification, ending: str) -> str:
    return re.search(rf"https?://\S+{ending}", notification.body_text).group(0)


@pytest.mark.django_db(transaction=True)
def test_subscribe_confirm_get_the_new_dates_then_unsubscribe(
    live_server, page, phone_context, screenshot, settings
):
    settings.SITE_URL = live_server.url
    artisan = ArtisanFactory(display_name="Atelier Claire")
    workshop = WorkshopFactory(
        artisan=artisan, title="Raku firing", timezone="Europe/Paris", duration_minutes=120
    )
    workshop_url = f"{live_server.url}/workshops/{workshop.slug}/"

    # A customer on a phone: no date open yet, so they ask to be told.
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(workshop_url)
    expect(phone.get_by_text("No date is open for booking at the moment.")).to_be_visible()
    section = phone.locator("#date-alert")
    expect(section.get_by_role("heading", name="Tell me when new dates open")).to_be_visible()
    # htmx swapped the cached GET form for this visitor's POST form (with its CSRF token).
    expect(section.locator("form")).to_have_attribute("method", "post")
    section.get_by_label("Your email").fill("ada@example.com")
    assert_fits_the_phone(phone)
    screenshot(phone, "workshop-form-phone")
    section.get_by_role("button", name="Tell me").click()
    expect(phone.get_by_text("we have just sent to ada@example.com")).to_be_visible()
    screenshot(phone, "subscribed-phone")

    # The confirmation link from the outbox: a button, then subscribed.
    confirmation = Notification.objects.get(template=CONFIRM_TEMPLATE)
    phone.goto(_link(confirmation, "/confirm/"))
    assert_fits_the_phone(phone)
    screenshot(phone, "confirm-phone")
    phone.get_by_role("button", name="Confirm my subscription").click()
    expect(phone.get_by_text("You are subscribed.")).to_be_visible()
    assert DateAlert.objects.get().status == DateAlertStatus.ACTIVE

    # The artisan opens two Mondays at 10:00 from the back-office calendar.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    sign_in(page, live_server, artisan)
    monday = first_monday_of_month_after_next(timezone.localdate())
    page.get_by_role("button", name="New slot", exact=True).click()
    page.get_by_label("Workshop").select_option(label="Raku firing")
    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("Every week until…").check()
    page.get_by_label("Last date").fill((monday + timedelta(weeks=1)).isoformat())
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("2 weekly slots are on your calendar.")).to_be_visible()

    # The beat sweep runs (a little later: dates opened together go in one email).
    assert date_alerts_send_due(now=timezone.now() + GATHER + timedelta(minutes=1)) == 1
    email = Notification.objects.get(template=ALERT_TEMPLATE)
    assert email.recipient == "ada@example.com"
    assert email.subject == 'New dates for "Raku firing"'
    assert email.body_text.count("/book/") == 2
    assert email.body_text.count("10:00") == 2  # Paris time, as on the calendar
    reader = phone_context.new_page()  # the email as a mail client shows it (about:blank)
    reader.set_content(email.body_html)
    expect(reader.get_by_role("link", name="Book")).to_have_count(2)
    screenshot(reader, "alert-email-phone")
    reader.close()

    # One click on the email's unsubscribe link.
    phone.goto(_link(email, "/unsubscribe/"))
    expect(phone.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert DateAlert.objects.get().status == DateAlertStatus.UNSUBSCRIBED
    assert_fits_the_phone(phone)
    screenshot(phone, "unsubscribed-phone")
    # The booking link of the email reaches the booking form.
    phone.goto(re.search(r"https?://\S+/book/\d+/", email.body_text).group(0))
    expect(phone.get_by_role("heading", name="Raku firing")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_form_and_its_pages_in_french(live_server, phone_context, screenshot, settings):
    settings.SITE_URL = live_server.url
    workshop = WorkshopFactory(title="Cuisson raku")
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(f"{live_server.url}/workshops/{workshop.slug}/")
    phone.select_option("#language-select", "fr")
    section = phone.locator("#date-alert")
    expect(section.get_by_role("heading", name="Prévenez-moi des nouvelles dates")).to_be_visible()
    expect(section.locator("form")).to_have_attribute("method", "post")
    section.get_by_label("Votre e-mail").fill("pas-une-adresse")
    section.get_by_role("button", name="Prévenez-moi").click()
    expect(phone.get_by_text("Saisissez une adresse de courriel valide.")).to_be_visible()
    assert_fits_the_phone(phone)
    screenshot(phone, "error-fr-phone")
    phone.get_by_label("Votre e-mail").fill("bea@example.com")
    phone.get_by_role("button", name="Prévenez-moi").click()
    expect(phone.get_by_text("nous venons d’envoyer à bea@example.com")).to_be_visible()
    confirmation = Notification.objects.get(template=CONFIRM_TEMPLATE)
    assert confirmation.language == "fr"
    phone.goto(_link(confirmation, "/confirm/"))
    phone.get_by_role("button", name="Confirmer mon abonnement").click()
    expect(phone.get_by_text("Vous êtes abonné.")).to_be_visible()
    assert_fits_the_phone(phone)
    screenshot(phone, "confirmed-fr-phone")
