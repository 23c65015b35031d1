import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_storefront_home_renders_in_chromium(live_server, page, screenshot):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "home")
