"""The cache (Redis in production) unreachable: pages and public forms still work, quickly.

Runs on any database: the cache points at a port where nothing listens.
"""

import socket
import time

import pytest
from django.urls import reverse

from bookings.models import Order
from tests.factories import SlotFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_cache(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


def test_workshop_page_and_booking_work_without_the_cache(client, dead_cache, caplog):
    slot = SlotFactory(capacity=4)
    adult = TicketTypeFactory(workshop=slot.workshop, price_cents=4000)
    started = time.monotonic()
    page = client.get(reverse("storefront:workshop", args=[slot.workshop.slug]))
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        {
            f"qty_{adult.pk}": "1",
            "customer_name": "Ada",
            "customer_email": "ada@example.com",
            "customer_phone": "06 12 34 56 78",
        },
    )
    assert time.monotonic() - started < 5
    assert page.status_code == 200
    assert response.status_code == 302 and Order.objects.count() == 1
    assert "Cache unavailable" in caplog.text


def test_rate_limit_still_counts_when_the_cache_is_up(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMIT_PUBLIC_FORMS = "1/m"
    slot = SlotFactory(capacity=4)
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    assert client.post(url, {}).status_code != 429
    assert client.post(url, {}).status_code == 429
