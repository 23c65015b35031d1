"""Sign-in throttling (django-axes) and per-client rate limits on the public forms."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.models import Order
from privatisation.models import DateSuggestion, Message, PrivatisationRequest
from tests.factories import PASSWORD

from .conftest import db_snapshot

pytestmark = pytest.mark.django_db

LOGIN = "backoffice:login"


def _sign_in(client, username, password, ip="10.1.1.1"):
    return client.post(reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return client.get(reverse("backoffice:calendar")).status_code == 200


def test_sixth_attempt_is_refused_even_with_the_right_password_then_allowed_after_the_cool_off(
    client, world
):
    username = world.a.user.username
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            response = _sign_in(client, username, "wrong-password")
            assert response.status_code == 200  # the form again, with its error
        assert (
            _sign_in(client, username, "wrong-password").status_code == 429
        )  # the fifth failure locks
        locked = _sign_in(client, username, PASSWORD)
        assert locked.status_code == 429
        assert "Too many attempts" in locked.content.decode()
        assert not _signed_in(client)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert _sign_in(client, username, PASSWORD).status_code == 429
        assert not _signed_in(client)
    with time_machine.travel(start + timedelta(minutes=14 + 14), tick=False):
        # A try during the lockout starts the 15 minutes again (axes' default): still locked.
        assert _sign_in(client, username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=28 + 16), tick=False):
        response = _sign_in(client, username, PASSWORD)
        assert response.status_code == 302
        assert _signed_in(client)


def test_artisan_signs_in_again_after_fifteen_quiet_minutes(client, world):
    username = world.a.user.username
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _sign_in(client, username, "wrong-password")
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _sign_in(client, username, PASSWORD).status_code == 302
        assert _signed_in(client)


def test_lockout_is_per_username_and_address(client, world):
    username = world.a.user.username
    for _ in range(5):
        _sign_in(client, username, "wrong-password")
    assert _sign_in(client, username, PASSWORD).status_code == 429
    # Another artisan from the same address, and the same artisan from another address, still sign in.
    other = client.__class__()
    assert _sign_in(other, world.b.user.username, PASSWORD).status_code == 302
    elsewhere = client.__class__()
    assert _sign_in(elsewhere, username, PASSWORD, ip="10.9.9.9").status_code == 302


def test_four_failures_then_success_resets_the_count(client, world):
    username = world.a.user.username
    for _ in range(4):
        _sign_in(client, username, "wrong-password")
    assert _sign_in(client, username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, username, "wrong-password")
    assert _sign_in(client, username, PASSWORD).status_code == 302


def test_lockout_page_in_french(client, world):
    for _ in range(5):
        _sign_in(client, world.a.user.username, "wrong-password")
    response = client.post(
        reverse(LOGIN),
        {"username": world.a.user.username, "password": PASSWORD},
        REMOTE_ADDR="10.1.1.1",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()


# --- Public forms --------------------------------------------------------------------------------


@pytest.fixture
def tight_limit(settings):
    cache.clear()
    settings.RATE_LIMIT_PUBLIC_FORMS = "3/m"
    yield
    cache.clear()


def _forms(world):
    return {
        "booking": (
            reverse("storefront:book", args=[world.slot.workshop.slug, world.slot.pk]),
            Order,
        ),
        "privatisation request": (
            reverse("privatisation:request_form", args=[world.workshop.slug]),
            PrivatisationRequest,
        ),
        "date suggestion": (
            reverse("privatisation:suggest", args=[world.workshop.slug]),
            DateSuggestion,
        ),
        "chat message": (
            reverse("privatisation:customer_message", args=[world.privreq.token]),
            Message,
        ),
        "password reset": (reverse("backoffice:password_reset"), None),
    }


@pytest.mark.parametrize(
    "form",
    ["booking", "privatisation request", "date suggestion", "chat message", "password reset"],
)
def test_public_form_over_the_limit_gets_a_friendly_429_and_changes_nothing(
    client, world, tight_limit, form
):
    url, _model = _forms(world)[form]
    for _ in range(3):
        assert client.post(url, {}, REMOTE_ADDR="10.2.2.2").status_code != 429
    before = db_snapshot()
    data = {"body": "Hello", "email": world.a.user.email}
    response = client.post(url, data, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429
    assert "Please wait a little and try again" in response.content.decode()
    assert db_snapshot() == before
    # Another client is still served.
    assert client.post(url, {}, REMOTE_ADDR="10.3.3.3").status_code != 429


def test_rate_limit_page_in_french(client, world, tight_limit):
    url = reverse("privatisation:suggest", args=[world.workshop.slug])
    for _ in range(3):
        client.post(url, {}, REMOTE_ADDR="10.2.2.2")
    response = client.post(url, {}, REMOTE_ADDR="10.2.2.2", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    assert 'lang="fr"' in response.content.decode()
    assert "Please wait" not in response.content.decode()


def test_forwarded_for_is_ignored_outside_production(client, world, tight_limit):
    """Without the production proxy, a client cannot dodge the limit by inventing X-Forwarded-For."""
    url = reverse("privatisation:suggest", args=[world.workshop.slug])
    for i in range(3):
        client.post(url, {}, REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}")
    assert (
        client.post(url, {}, REMOTE_ADDR="10.2.2.2", HTTP_X_FORWARDED_FOR="1.1.1.99").status_code
        == 429
    )
