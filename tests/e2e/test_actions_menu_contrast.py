"""The Actions menu is the main control of the pending-orders flow: its text must be readable
in every state (closed, open, hover, focus, disabled), on desktop and on a phone, in French and
English. The contrast is read from the computed colours in real Chromium (WCAG 2 formula)."""

import pytest
from django.conf import settings

from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    WorkshopFactory,
)

# Text colour against the colour actually painted behind it: every ancestor's background is
# composited (alpha included), and the element's and its ancestors' opacity fade the text.
CONTRAST_JS = """
(el) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const layers = [];
  let opacity = 1;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    layers.push(parse(style.backgroundColor));
    opacity *= Number(style.opacity);
  }
  let background = [255, 255, 255, 1];
  for (const layer of layers.reverse()) background = over(layer, background);
  const text = parse(getComputedStyle(el).color);
  text[3] *= opacity;
  const fg = over(text, background);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(background)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
"""

MINIMUM = 4.5


def contrast(locator):
    return locator.evaluate(CONTRAST_JS)


def assert_readable(locator, state):
    for index in range(locator.count()):
        item = locator.nth(index)
        ratio = contrast(item)
        assert ratio >= MINIMUM, f"{state}: {item.inner_text()!r} has a contrast of {ratio:.2f}:1"


@pytest.fixture
def artisan_with_pending_orders(db):
    artisan = ArtisanFactory(display_name="Atelier Claire Dubois")
    slot = SlotFactory(
        workshop=WorkshopFactory(artisan=artisan, title="Wheel-throwing"), capacity=8
    )
    for name in ("Inès Martin", "Tom Baker"):
        PendingOrderFactory(slot=slot, customer_name=name)
    return artisan


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_actions_menu_is_readable_in_every_state(
    live_server, browser, artisan_with_pending_orders, screenshot, language, viewport
):
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, locale="en-GB"
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", artisan_with_pending_orders.user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{live_server.url}/backoffice/orders/pending/")

    summary = page.locator(".actions-menu > summary")
    items = page.locator(".actions-menu .menu-item")
    assert_readable(summary, "closed")

    # Nothing ticked: the items are disabled, and still readable.
    summary.click()
    assert items.first.is_disabled()
    assert page.locator("[data-bulk-hint]").is_visible(), "a disabled menu says why"
    assert_readable(items, "open, disabled")
    summary.click()

    page.locator("input.order-check").first.check()
    summary.click()
    assert items.first.is_visible() and not items.first.is_disabled()
    assert_readable(items, "open")
    screenshot(page, f"actions-open-{language}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport[0], f"the open menu pushes the page sideways ({width}px)"
    for index in range(items.count()):
        box = items.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport[0], (
            f"menu item {index} is cut off: {box}"
        )
    for index in range(items.count()):
        items.nth(index).hover()
        assert_readable(items.nth(index), "hover")
        items.nth(index).focus()
        assert_readable(items.nth(index), "focus")
    context.close()
