"""The client address behind the rate limits and the sign-in lockout: the socket's, unless a known
number of trusted proxies stand in front (TRUSTED_PROXY_COUNT); a client's own X-Forwarded-For
never picks its key."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from bookings.ratelimit import client_ip
from tests.factories import SlotFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_like(settings):
    cache.clear()
    settings.SECURE = True  # what DJANGO_SECURE=true set before: the header was trusted then
    # One fixed rate-limit window for the whole test (an hour boundary mid-test would reset it).
    with time_machine.travel(datetime(2026, 3, 2, 10, 5, tzinfo=UTC), tick=False):
        yield
    cache.clear()


def _ip(**meta):
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert _ip(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4") == "203.0.113.7"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent "1.2.3.4" itself; the proxy appended the address it saw.
    assert _ip(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert _ip(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    xff = "1.2.3.4, 203.0.113.7, 10.0.0.9"
    assert _ip(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=xff) == "203.0.113.7"


def test_a_short_or_broken_header_falls_back_to_the_socket_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert _ip(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7") == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert _ip(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-ip") == "10.0.0.2"


def test_booking_posts_with_a_new_forwarded_header_each_are_still_limited(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMIT_PUBLIC_FORMS = "20/h"
    slot = SlotFactory(capacity=4)
    TicketTypeFactory(workshop=slot.workshop)
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    codes = [
        client.post(
            url, {}, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        ).status_code
        for i in range(22)
    ]
    assert codes[:20].count(429) == 0 and codes[20:] == [429, 429]


def test_behind_a_proxy_a_spoofed_prefix_does_not_dodge_the_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMIT_PUBLIC_FORMS = "3/h"
    slot = SlotFactory(capacity=4)
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    for i in range(3):
        client.post(
            url, {}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7"
        )
    assert (
        client.post(
            url, {}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7"
        ).status_code
        == 429
    )
    # Another customer behind the same proxy is still served.
    assert (
        client.post(url, {}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code
        != 429
    )


def test_wrong_passwords_with_varied_forwarded_headers_still_lock(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    username = world.a.user.username
    codes = [
        client.post(
            reverse("backoffice:login"),
            {"username": username, "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(8)
    ]
    assert 429 in codes
