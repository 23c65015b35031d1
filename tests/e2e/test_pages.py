"""A tour of the main pages, signed out and signed in, on a desktop and at 390 px: the
page_checks fixture (conftest.py) fails the test on any console error or serious/critical axe
violation of any page it opens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    TicketTypeFactory,
    WorkshopFactory,
    privatisation_submit,
)

from .test_backoffice import sign_in

STOREFRONT = [
    "/",
    "/workshops/{slug}/",
    "/workshops/{slug}/book/{slot}/",
    "/workshops/{slug}/privatise/",
    "/workshops/{slug}/suggest-a-date/",
    "/backoffice/login/",
]
BACKOFFICE = [
    "/backoffice/calendar/",
    "/backoffice/calendar/?view=week",
    "/backoffice/activity/",
    "/backoffice/activity/{workshop}/",
    "/backoffice/slots/new/",
    "/backoffice/privatisation/",
    "/backoffice/orders/pending/",
]


@pytest.fixture
def world():
    artisan = ArtisanFactory()
    workshop = WorkshopFactory(artisan=artisan, privatisation_enabled=True)
    TicketTypeFactory(workshop=workshop)
    now = timezone.now()
    slot = SlotFactory(workshop=workshop, starts_at=now + timedelta(days=3))
    SlotFactory(workshop=workshop, starts_at=now - timedelta(days=2))  # a past day in the calendar
    privatisation_submit(workshop)
    PendingOrderFactory(slot=slot)
    return {"artisan": artisan, "slug": workshop.slug, "slot": slot.pk, "workshop": workshop.pk}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_console_error_and_no_serious_axe_violation(
    live_server, browser, world, width, page_checks
):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", is_mobile=width < 500
    )
    page = context.new_page()
    try:
        for path in STOREFRONT:
            page.goto(live_server.url + path.format(**world))
            page_checks.check(page)
        sign_in(page, live_server, world["artisan"])
        for path in BACKOFFICE:
            page.goto(live_server.url + path.format(**world))
            page_checks.check(page)
        for path in STOREFRONT + BACKOFFICE:
            assert live_server.url + path.format(**world) in page_checks.checked, path
        assert (
            page.request.get(live_server.url + "/favicon.ico").status == 200
        )  # after its redirect
    finally:
        context.close()
