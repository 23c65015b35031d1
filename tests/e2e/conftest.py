"""Playwright in real Chromium (Debian's package; never a downloaded browser).

Screenshots go to test-results/screenshots/ (look at them).
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM:
                item.add_marker(
                    pytest.mark.skip(
                        reason="Chromium not found (apt-get install chromium); CI installs it"
                    )
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/Paris"}


@pytest.fixture
def phone_context(browser):
    """A phone-sized page: customers and artisans act from their phones."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True
    )
    yield context
    context.close()


@pytest.fixture
def screenshot(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def _eager_celery_for_e2e(celery_eager):
    """The live server runs tasks inline: no worker process in a browser test."""
    yield


# --- Every page a journey visits: 0 console errors, 0 serious or critical axe violations ------
# axe-core (tests/e2e/vendor, MPL-2.0) is added to every page as an init script, which the
# pages' Content-Security-Policy does not apply to; the policy still governs the pages' own
# resources, so a violation shows up as a console error.
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
AXE_RUN = """async () => {
  if (document.contentType !== "text/html") return null;  // an image or a file Chromium shows
  // One run at a time (axe refuses a second while one runs: the load check and a test's own).
  const previous = window.__atelierAxe || Promise.resolve();
  const run = previous.catch(() => null).then(() => axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  }));
  window.__atelierAxe = run;
  const result = await run;
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3)
      .map((n) => `${n.target.join(" ")} [${(n.any[0] || n.all[0] || {}).message || ""}]`).join(", "));
}"""


class PageChecks:
    """Collects console errors and axe findings of every page opened in the test's contexts."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.violations: list[str] = []
        self.checked: list[str] = []
        self.pages = []

    def attach_context(self, context):
        context.add_init_script(script=AXE_SOURCE)
        context.on("page", self.attach_page)
        for page in context.pages:
            self.attach_page(page)

    def attach_page(self, page):
        self.pages.append(page)
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: {error}"))
        page.on("load", lambda _: self.check(page))

    def _console(self, page, msg):
        if msg.type != "error":
            return
        # A page answered 400 (a form with errors) or 404 is the journey's own business: it
        # asserts what the page says. Its resources (styles, scripts, images) must all load.
        if msg.text.startswith("Failed to load resource") and msg.location.get("url") == page.url:
            return
        self.console_errors.append(f"{page.url}: {msg.text} ({msg.location.get('url')})")

    def check(self, page):
        """Run axe on the page as it is now (each load, and once more at the end of the test)."""
        if page.is_closed() or not page.url.startswith("http"):
            return
        try:
            found = page.evaluate(AXE_RUN)
        except Exception:  # noqa: BLE001 - the journey moved on (navigation, closed page)
            return
        if found is None:
            return
        self.checked.append(page.url)
        self.violations += [
            f"{page.url}: {line}" for line in found if f"{page.url}: {line}" not in self.violations
        ]

    def finish(self):
        for page in self.pages:
            self.check(page)


@pytest.fixture(autouse=True)
def page_checks(monkeypatch):
    """Wraps Browser.new_context so every context of the test (the `page` fixture's, the phone
    one, those a test opens) is checked; asserted when the test ends."""
    from playwright.sync_api import Browser

    checks = PageChecks()
    new_context = Browser.new_context

    def checked_new_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        checks.attach_context(context)
        return context

    monkeypatch.setattr(Browser, "new_context", checked_new_context)
    yield checks
    assert checks.checked, "axe ran on no page"
    assert not checks.console_errors, "console errors:\n" + "\n".join(checks.console_errors)
    assert not checks.violations, "serious/critical axe violations:\n" + "\n".join(
        checks.violations
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """The last state of every page is checked too, while its context is still open."""
    yield
    checks = item.funcargs.get("page_checks")
    if checks is not None:
        checks.finish()
