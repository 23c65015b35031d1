"""Sign-in: spraying many usernames from one address is limited; a password reset lifts the lockout;
the email is taken whatever its case; the form says "Email" and shows its error once."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "backoffice:login"


def _sign_in(client, username, password, ip="10.1.1.1"):
    return client.post(reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=ip)


@time_machine.travel(datetime(2026, 3, 2, 10, 5, tzinfo=UTC), tick=False)  # one rate-limit window
def test_thirty_usernames_from_one_address_are_stopped(client, world):
    codes = [_sign_in(client, f"user{i}@example.com", "Winter2026!").status_code for i in range(30)]
    assert 429 in codes
    # Locked out now, even for a real artisan with the right password, from that address…
    assert _sign_in(client, world.a.user.username, PASSWORD).status_code == 429
    # …but not from another one.
    assert (
        _sign_in(client.__class__(), world.a.user.username, PASSWORD, ip="10.9.9.9").status_code
        == 302
    )


def test_a_password_reset_lifts_the_lockout_of_that_account(client, world):
    user = world.a.user
    for _ in range(5):
        _sign_in(client, user.username, "wrong-password")
    assert _sign_in(client, user.username, PASSWORD).status_code == 429
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    page = client.get(reverse("backoffice:password_reset_confirm", args=[uid, token]), follow=True)
    new = "a-brand-new-Passw0rd"
    response = client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert _sign_in(client, user.username, new).status_code == 302


def test_sign_in_takes_the_email_whatever_its_case(client, world):
    assert _sign_in(client, "  " + world.a.user.username.upper() + " ", PASSWORD).status_code == 302


def test_changing_the_case_does_not_dodge_the_lockout(client, world):
    username = world.a.user.username
    for variant in (
        username,
        username.upper(),
        username.title(),
        username.capitalize(),
        username.swapcase(),
    ):
        _sign_in(client, variant, "wrong-password")
    assert _sign_in(client, username, PASSWORD).status_code == 429


def test_the_form_says_email_and_shows_its_error_once(client, world):
    page = client.get(reverse(LOGIN)).content.decode()
    assert '<label for="id_username">Email' in page and "Username" not in page
    html = _sign_in(client, world.a.user.username, "wrong-password").content.decode()
    assert html.count("Please enter a correct") == 1
