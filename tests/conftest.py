import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from config.celery import app as celery_app


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language, whatever the previous one activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_LOG_FILE = tmp_path / "sms.log"


@pytest.fixture
def celery_eager():
    """Run tasks inline when they are published (the worker's job, in-process)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield celery_app
    celery_app.conf.task_always_eager = False


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): row locks and parallel connections")


@pytest.fixture
def redis_url():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    return settings.CELERY_BROKER_URL


STRIPE_WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_http(settings, monkeypatch):
    """The Stripe adapter on the real `stripe` client, its HTTP layer replaced by recorded answers."""
    from bookings.payments.stripe_gateway import StripeGateway
    from tests.bookings.stripe_fake import FakeStripeHTTP

    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    client = FakeStripeHTTP()
    monkeypatch.setattr(StripeGateway, "http_client", client)
    monkeypatch.setattr(StripeGateway, "max_network_retries", 0)
    return client


@pytest.fixture
def count_calls(monkeypatch):
    """`count_calls(module, name)`: a list that gets the (args, kwargs) of every call to
    `module.name` for the rest of the test; the real function still runs."""

    def count(module, name: str) -> list:
        calls = []
        real = getattr(module, name)

        def counting(*args, **kwargs):
            calls.append((args, kwargs))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
        return calls

    return count


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the storefront caches whole pages)."""
    from django.core.cache import cache

    from bookings import page_cache

    cache.clear()
    page_cache.clear_local()
    yield


# The page-version triggers (bookings migration 0003) are deferred to COMMIT on PostgreSQL; a
# test that is rolled back never commits, so they run at once there (tests marked
# transaction=True see the real, deferred, behaviour).
PAGE_VERSION_TRIGGERS = ", ".join(
    f"{table}_page_version"
    for table in ("bookings_artisan", "bookings_workshop", "bookings_tickettype", "bookings_slot")
)


@pytest.fixture(autouse=True)
def _page_versions_at_once(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        marker is not None and marker.kwargs.get("transaction")
    ) or "transactional_db" in request.fixturenames
    rolled_back = not transactional and (marker is not None or "db" in request.fixturenames)
    if rolled_back and connection.vendor == "postgresql":
        request.getfixturevalue("db")
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {PAGE_VERSION_TRIGGERS} IMMEDIATE")
    yield


@pytest.fixture(autouse=True)
def _hook_registries():
    """Registrations a test makes on bookings' hooks are undone after it."""
    from bookings.hooks import order_hooks, slot_hooks

    saved = dict(order_hooks._handlers), dict(slot_hooks._handlers)
    yield
    order_hooks._handlers, slot_hooks._handlers = saved
