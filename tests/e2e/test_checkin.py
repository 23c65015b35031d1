"""The door on a 390-px phone in real Chromium: a typed code is admitted (green, the name), the same
code again is "already checked in"; the camera reads a ticket's QR code from a fake video stream
(the vendored decoder: Chromium on Linux has no BarcodeDetector); a refused camera leaves the
code field. English and French."""

import pytest
import segno
from playwright.sync_api import expect

from bookings.models import Ticket
from tests.bookings.checkin_helpers import confirmed_order, ticket_of
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.factories import PASSWORD, ArtisanFactory, SlotFactory, WorkshopFactory

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def write_qr_y4m(path, text: str, width: int = 640, height: int = 480, frames: int = 3) -> None:
    """A grey-scale YUV4MPEG2 video of the QR code of `text`, centred on white (Chromium's fake
    camera plays it in a loop)."""
    matrix = segno.make(text, error="m").matrix
    size = len(matrix)
    scale = (min(width, height) - 80) // size
    left, top = (width - size * scale) // 2, (height - size * scale) // 2
    luma = bytearray(b"\xeb" * (width * height))  # video white
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start : start + scale] = b"\x10" * scale  # video black
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma)


def fake_camera_browser(browser_type, video):
    """Chromium whose camera films `video` (a page must still be allowed the camera)."""
    return browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS
        + ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"],
    )


def sign_in(page, live_server, artisan):
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan.user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/backoffice/calendar/")


def assert_no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


@pytest.fixture
def door(db):
    artisan = ArtisanFactory(display_name="Atelier Claire")
    slot = SlotFactory(
        workshop=WorkshopFactory(artisan=artisan, title="Raku firing evening"), capacity=8
    )
    ada = confirmed_order(slot, name="Ada Lovelace", label="Adult")
    grace = confirmed_order(slot, name="Grace Hopper", label="Child", seats=2)
    return artisan, slot, ada, grace


@pytest.mark.django_db(transaction=True)
def test_a_typed_code_is_admitted_once(live_server, phone_context, screenshot, door):
    artisan, slot, ada, _grace = door
    page = phone_context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, artisan)
    page.goto(f"{live_server.url}/backoffice/slots/{slot.pk}/participants/")
    page.get_by_role("button", name="Check-in").click()
    expect(page.get_by_role("heading", name="Check-in")).to_be_visible()
    expect(page.locator(".checkin-counter")).to_contain_text("0 / 3 checked in")
    screenshot(page, "door-empty")

    code = ticket_of(ada).code
    field = page.get_by_label("Ticket code or order number")
    field.fill(f"  {code.upper()} ")
    page.get_by_role("button", name="Check in", exact=True).click()
    result = page.locator(".checkin-result")
    expect(result).to_have_class("checkin-result checkin-valid")
    expect(result).to_contain_text("Valid ticket")
    expect(result).to_contain_text("Ada Lovelace")
    expect(result).to_contain_text("Adult")
    expect(page.locator(".checkin-counter")).to_contain_text("1 / 3 checked in")
    expect(field).to_have_value("")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    assert_no_sideways_scroll(page)
    screenshot(page, "door-valid")

    field.fill(code)
    field.press("Enter")
    expect(result).to_contain_text("Already checked in")
    expect(page.locator(".checkin-result")).to_have_class("checkin-result checkin-warning")
    expect(page.locator(".checkin-counter")).to_contain_text("1 / 3 checked in")
    screenshot(page, "door-already")

    field.fill("not-a-ticket")
    field.press("Enter")
    expect(page.locator(".checkin-result")).to_have_class("checkin-result checkin-refused")
    expect(page.locator(".checkin-result")).to_contain_text("Unknown ticket")
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == 1

    # The participants page shows who came.
    page.goto(f"{live_server.url}/backoffice/slots/{slot.pk}/participants/")
    expect(page.locator("tr", has_text="Ada Lovelace")).to_contain_text("✓")
    expect(page.locator("tr", has_text="Grace Hopper")).not_to_contain_text("✓")
    assert_no_sideways_scroll(page)
    screenshot(page, "participants")


@pytest.mark.django_db(transaction=True)
def test_the_camera_reads_a_ticket_qr_code(
    live_server, browser_type, tmp_path, screenshot, door, page_checks
):
    artisan, slot, _ada, grace = door
    code = ticket_of(grace).code
    video = tmp_path / "qr.y4m"
    write_qr_y4m(video, code)
    browser = fake_camera_browser(browser_type, video)
    try:
        context = browser.new_context(**PHONE, locale="en-GB", permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server, artisan)
        page.goto(f"{live_server.url}/backoffice/slots/{slot.pk}/check-in/")
        assert page.evaluate("'BarcodeDetector' in window") is False  # the vendored decoder reads
        page.get_by_role("button", name="Scan with the camera").click()
        expect(page.locator("#scan-status")).to_have_text("Point the camera at a ticket’s QR code.")
        result = page.locator(".checkin-result")
        expect(result).to_have_class("checkin-result checkin-valid")
        expect(result).to_contain_text("Grace Hopper")
        expect(result).to_contain_text("Child")
        expect(page.locator(".checkin-counter")).to_contain_text("1 / 3 checked in")
        screenshot(page, "camera-valid")
        # The code stays in view: the same scan, not a second one ("already checked in").
        page.wait_for_timeout(2500)
        expect(result).to_contain_text("Valid ticket")
        assert_no_sideways_scroll(page)
        page.get_by_role("button", name="Stop the camera").click()
        expect(page.get_by_role("button", name="Scan with the camera")).to_be_visible()
        page_checks.finish()
        context.close()
    finally:
        browser.close()
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_camera_says_so_and_keeps_the_field(
    browser_type, live_server, tmp_path, screenshot, door, page_checks
):
    artisan, slot, ada, grace = door
    video = tmp_path / "qr.y4m"
    write_qr_y4m(video, ticket_of(grace).code)
    browser = fake_camera_browser(browser_type, video)
    try:
        context = browser.new_context(**PHONE, locale="fr-FR")  # the camera is not allowed
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/backoffice/login/")
        page.fill("#id_username", artisan.user.username)
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.goto(f"{live_server.url}/backoffice/slots/{slot.pk}/check-in/")
        expect(page.get_by_role("heading", name="Contrôle des billets")).to_be_visible()
        page.get_by_role("button", name="Scanner avec la caméra").click()
        expect(page.locator("#scan-status")).to_contain_text("La caméra n’est pas autorisée")
        field = page.get_by_label("Code du billet ou numéro de commande")
        expect(field).to_be_focused()
        field.fill(ticket_of(ada).code)
        field.press("Enter")
        expect(page.locator(".checkin-result")).to_contain_text("Billet valide")
        expect(page.locator(".checkin-counter")).to_contain_text("1 / 3 arrivés")
        assert_no_sideways_scroll(page)
        screenshot(page, "camera-refused-fr")
        page_checks.finish()
        context.close()
    finally:
        browser.close()
