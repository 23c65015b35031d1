"""On a full session, the artisan who accepts waiting-list orders is told before the action which
of them will stay pending for want of a seat (phone, real Chromium)."""

import pytest
from playwright.sync_api import expect

from bookings.models import Order, Slot
from bookings.states import OrderStatus
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    WorkshopFactory,
)


@pytest.mark.django_db(transaction=True)
def test_accepting_on_a_full_session_says_which_orders_stay_pending(
    live_server, phone_context, screenshot
):
    artisan = ArtisanFactory(display_name="Atelier Claire Dubois")
    slot = SlotFactory(
        workshop=WorkshopFactory(artisan=artisan, title="Sourdough bread morning"), capacity=6
    )
    Slot.objects.filter(pk=slot.pk).update(seats_taken=5)
    first = PendingOrderFactory(slot=slot, customer_name="Inès Martin", seats=1, holds_seats=False)
    second = PendingOrderFactory(slot=slot, customer_name="Tom Baker", seats=2, holds_seats=False)
    page = phone_context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/backoffice/orders/pending/")
    page.locator("#check-all").check()
    page.get_by_text("Actions").click()
    page.get_by_role("button", name="Accept orders").click()

    expect(page.get_by_role("heading", name="Accept 2 orders?")).to_be_visible()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("No seat is free for 1 of these orders")
    row = page.locator(".confirm-preview li", has_text=second.reference)
    expect(row).to_contain_text("No seat free: stays pending")
    expect(page.locator(".confirm-preview li", has_text=first.reference)).not_to_contain_text(
        "stays pending"
    )
    screenshot(page, "phone-confirm")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert {o.status for o in Order.objects.all()} == {OrderStatus.AWAITING_CONFIRMATION}
