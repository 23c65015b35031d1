"""The back-office calendar page, cached whole: badges read with the artisan, the CSRF token put
in per request, an ETag (with a digest of the CSRF secret) and 304 for a repeat visit."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings import page_cache
from bookings.views import backoffice as backoffice_views
from tests.factories import (
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    UserFactory,
    WorkshopFactory,
    privatisation_submit,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 8, tzinfo=UTC)
URL = "/backoffice/calendar/?month=2026-06"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PENDING_BADGE = re.compile(r'<span class="badge" aria-label="waiting">(\d+)</span>')
REQUESTS_BADGE = re.compile(r'requests? to answer">(\d+)</span>')


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def slot(artisan):
    workshop = WorkshopFactory(artisan=artisan, title="Raku firing", privatisation_enabled=True)
    return SlotFactory(
        workshop=workshop, starts_at=NOW + timedelta(days=2), capacity=8, seats_taken=3
    )


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


@pytest.fixture
def pages(count_calls):
    """How many times the whole page was rendered."""
    return count_calls(backoffice_views, "_calendar_page")


def badge(pattern, html: str) -> int:
    found = pattern.search(html)
    return int(found.group(1)) if found else 0


def test_a_repeat_view_is_the_cached_page_with_two_queries(signed_in, slot, pages):
    first = signed_in.get(URL)
    with CaptureQueriesContext(connection) as repeat:
        second = signed_in.get(URL)
    assert first.status_code == second.status_code == 200
    assert "3/8" in second.content.decode()
    assert len(pages) == 1
    # The user, then the artisan with its page version and both badge counts (the session
    # comes from the cache).
    assert len(repeat) == 2


def test_the_query_count_does_not_grow_with_orders_and_requests(signed_in, slot):
    signed_in.get(URL)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(URL)
    for _ in range(3):
        PendingOrderFactory(slot=slot)
        privatisation_submit(slot.workshop)
    html = signed_in.get(URL).content.decode()
    assert badge(PENDING_BADGE, html) == 3 and badge(REQUESTS_BADGE, html) == 3
    with CaptureQueriesContext(connection) as many:
        signed_in.get(URL)
    assert len(many) == len(few)


def test_a_raw_sql_write_to_an_order_changes_the_badge_on_the_next_view(signed_in, slot):
    order = PendingOrderFactory(slot=slot)
    assert badge(PENDING_BADGE, signed_in.get(URL).content.decode()) == 1
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_order SET status = 'confirmed' WHERE id = %s", [order.pk])
    assert badge(PENDING_BADGE, signed_in.get(URL).content.decode()) == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_order SET status = 'awaiting_confirmation' WHERE id = %s", [order.pk]
        )
    assert badge(PENDING_BADGE, signed_in.get(URL).content.decode()) == 1


def test_a_raw_sql_write_to_a_privatisation_request_changes_the_badge_on_the_next_view(
    signed_in, slot
):
    request = privatisation_submit(slot.workshop)
    assert badge(REQUESTS_BADGE, signed_in.get(URL).content.decode()) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE privatisation_privatisationrequest SET status = 'refused' WHERE id = %s",
            [request.pk],
        )
    assert badge(REQUESTS_BADGE, signed_in.get(URL).content.decode()) == 0


def test_a_badge_leaves_when_its_deadline_passes_without_a_write(signed_in, slot):
    PendingOrderFactory(slot=slot, decide_by=NOW + timedelta(hours=1))
    assert badge(PENDING_BADGE, signed_in.get(URL).content.decode()) == 1
    # The same day (the same grid), no write: only the clock moved past the deadline.
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert badge(PENDING_BADGE, signed_in.get(URL).content.decode()) == 0


def test_another_artisans_orders_and_requests_leave_the_badges_alone(signed_in, slot):
    other = SlotFactory(
        workshop=WorkshopFactory(artisan=ArtisanFactory(), privatisation_enabled=True),
        starts_at=NOW + timedelta(days=2),
    )
    PendingOrderFactory(slot=other)
    privatisation_submit(other.workshop)
    html = signed_in.get(URL).content.decode()
    assert badge(PENDING_BADGE, html) == 0 and badge(REQUESTS_BADGE, html) == 0


def test_a_repeat_with_if_none_match_gets_a_304(signed_in, slot):
    first = signed_in.get(URL)
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache"
    again = signed_in.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "private, no-cache"


def test_a_write_the_page_shows_changes_the_etag(signed_in, slot):
    etag = signed_in.get(URL)["ETag"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET seats_taken = 7 WHERE id = %s", [slot.pk])
    response = signed_in.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "7/8" in response.content.decode()
    assert response["ETag"] != etag


def test_a_new_badge_changes_the_etag(signed_in, slot):
    order = PendingOrderFactory(slot=slot, status="confirmed")
    etag = signed_in.get(URL)["ETag"]
    # No trigger sees this write (an order is not in the grid's version): only the badge.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_order SET status = 'awaiting_confirmation' WHERE id = %s", [order.pk]
        )
    response = signed_in.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and badge(PENDING_BADGE, response.content.decode()) == 1
    assert response["ETag"] != etag


def test_a_new_csrf_cookie_gets_a_page_whose_token_matches_it(artisan, slot, pages):
    first = Client(enforce_csrf_checks=True)
    first.force_login(artisan.user)
    etag = first.get(URL)["ETag"]
    second = Client(enforce_csrf_checks=True)
    second.force_login(artisan.user)
    response = second.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "3/8" in response.content.decode()
    assert response["ETag"] != etag
    assert len(pages) == 1  # the same cached page, with this visitor's token put in
    html = response.content.decode()
    assert page_cache.CSRF_SLOT not in html
    token = TOKEN.search(html).group(1)
    assert f'"X-CSRFToken": "{token}"' in html
    # The token of the cached page is good for this visitor's cookie: signing out works.
    signed_out = second.post("/backoffice/logout/", {"csrfmiddlewaretoken": token})
    assert signed_out.status_code == 302


def test_another_language_gets_a_page_in_that_language(signed_in, slot):
    etag = signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="en")["ETag"]
    response = signed_in.get(URL, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_a_page_with_a_message_is_rendered_and_not_cached(signed_in, slot, pages, rf):
    etag = signed_in.get(URL)["ETag"]
    # A flash message waiting in this visitor's cookie, as a redirect after a save leaves it.
    storage = CookieStorage(rf.get(URL))
    storage.add(constants.SUCCESS, "Slot saved.")
    carrier = HttpResponse()
    storage.update(carrier)
    signed_in.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    response = signed_in.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Slot saved." in response.content.decode()
    assert "ETag" not in response and response["Cache-Control"] == "private, no-cache"
    # The message is shown once; the next view is the cached page again.
    assert "Slot saved." not in signed_in.get(URL).content.decode()
    assert len(pages) == 2


def test_a_signed_out_visitor_goes_to_the_login_page(client, slot):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_user_who_is_not_an_artisan_gets_a_404(client, slot):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 404


def test_the_cached_page_holds_a_placeholder_not_a_token(signed_in, slot):
    signed_in.get(URL)
    cached = [value for value in page_cache._local.values() if isinstance(value, bytes)]
    assert len(cached) == 1
    assert page_cache.CSRF_SLOT.encode() in cached[0]
    assert b'name="csrfmiddlewaretoken" value="' + page_cache.CSRF_SLOT.encode() in cached[0]


def test_a_session_signed_out_elsewhere_is_not_served_from_the_session_cache(artisan, slot):
    browser = Client()
    browser.force_login(artisan.user)
    session_key = browser.cookies["sessionid"].value
    assert browser.get(URL).status_code == 200
    browser.post("/backoffice/logout/")
    replay = Client()
    replay.cookies["sessionid"] = session_key
    response = replay.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]
