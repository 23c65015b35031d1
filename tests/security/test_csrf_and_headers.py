"""CSRF on every form, and the security headers and cookies of production."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import new_token
from privatisation.services.notify import manage_signature
from tests.test_settings import manage, production_env

from .conftest import db_snapshot
from .test_backoffice_matrix import BACKOFFICE, PUBLIC, _kwargs, all_url_names

pytestmark = pytest.mark.django_db

# Deliberately without CSRF: a server-to-server call authenticated by its signature (test_webhooks.py).
CSRF_EXEMPT = {"storefront:stripe_webhook"}
# Read-only endpoints: a POST reaches no form (still refused by the CSRF middleware below).
READ_ONLY = {"healthz", "media", "privatisation:price"}


def _public_kwargs(name, pattern, world) -> dict:
    values = {
        "slug": world.workshop.slug,
        "slot_id": world.slot.pk,
        "reference": "dev_" + new_token(),
        "signature": manage_signature(world.privreq.pk),
        "uidb64": "MQ",
        "path": "nothing.jpg",
    }
    kwargs = {}
    for kwarg in pattern.pattern.regex.groupindex:
        if kwarg == "token":
            if name.startswith("privatisation:"):
                kwargs[kwarg] = world.privreq.token
            elif name.startswith("storefront:"):
                kwargs[kwarg] = world.order.token
            else:
                kwargs[kwarg] = "set-password"
        elif kwarg in values:
            kwargs[kwarg] = values[kwarg]
        else:
            raise AssertionError(f"{name}: no value for kwarg {kwarg!r}")
    return kwargs


def _every_url(world):
    for name, pattern in all_url_names().items():
        if name.startswith("admin:"):
            continue
        kwargs = (
            _kwargs(name, pattern, world)
            if name in BACKOFFICE
            else _public_kwargs(name, pattern, world)
        )
        yield name, reverse(name, kwargs=kwargs)


def test_every_post_without_a_csrf_token_is_refused(world):
    anonymous = Client(enforce_csrf_checks=True)
    owner = Client(enforce_csrf_checks=True)
    owner.force_login(world.a.user)
    checked = []
    for name, url in _every_url(world):
        if name in CSRF_EXEMPT:
            continue
        client = owner if name in BACKOFFICE else anonymous
        before = db_snapshot()
        response = client.post(
            url, {"message": "x", "body": "x", "decision": "refuse", "action": "accept"}
        )
        assert response.status_code == 403, (name, response.status_code)
        assert db_snapshot() == before, name
        checked.append(name)
    assert set(PUBLIC) - CSRF_EXEMPT <= set(checked) and set(BACKOFFICE) <= set(checked)


def test_only_the_webhook_is_csrf_exempt():
    exempt = {
        name for name, p in all_url_names().items() if getattr(p.callback, "csrf_exempt", False)
    }
    assert {n for n in exempt if not n.startswith("admin:")} == CSRF_EXEMPT


def test_the_same_post_with_the_token_goes_through(world):
    """The refusal above is the CSRF check, not the data: with the page's token the form is accepted."""
    client = Client(enforce_csrf_checks=True)
    url = reverse("privatisation:customer_message", args=[world.privreq.token])
    html = client.get(
        reverse("privatisation:customer_request", args=[world.privreq.token])
    ).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(url, {"body": "Hello there", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert world.privreq.messages.filter(body="Hello there").exists()


def test_sign_in_form_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("backoffice:login"), {"username": world.a.user.username, "password": "x"}
    )
    assert response.status_code == 403


# --- Headers ---------------------------------------------------------------------------------


PAGES = ["storefront:home", "backoffice:login"]


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("name", PAGES)
def test_pages_carry_a_strict_content_security_policy(client, world, name):
    response = client.get(reverse(name))
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", []) and "'unsafe-eval'" not in csp.get(
        "script-src", []
    )
    assert "'unsafe-inline'" not in csp["default-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_page_template_has_no_inline_script(world, client):
    """The CSP forbids inline scripts: a page with one would break silently in browsers."""
    client.force_login(world.a.user)
    for name in (
        "storefront:home",
        "backoffice:calendar",
        "privatisation:list",
        "pending_orders:list",
    ):
        html = client.get(reverse(name), follow=True).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (name, tag)
        assert " onclick=" not in html and " onload=" not in html, name


# Production settings as loaded from the environment; only the static files storage is swapped (the
# manifest needs `collectstatic`, which has nothing to do with the headers).
PROBE = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    r = Client().get("/backoffice/login/", secure=True, HTTP_HOST="atelier.example.com")
print(json.dumps({
    "status": r.status_code,
    "headers": dict(r.headers),
    "cookies": {k: {"secure": bool(v["secure"]), "httponly": bool(v["httponly"]), "samesite": v["samesite"]} for k, v in r.cookies.items()},
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
}))
"""


def test_production_sends_secure_cookies_and_security_headers():
    env = production_env(DATABASE_URL="sqlite:///:memory:", REDIS_URL=None)
    result = manage("shell", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["status"] == 200, data
    headers = {k.lower(): v for k, v in data["headers"].items()}
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["strict-transport-security"]
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert (
        "'unsafe-inline'"
        not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    assert data["session_secure"] and data["csrf_secure"] and data["ssl_redirect"]
    assert data["cookies"]["csrftoken"]["secure"] is True


def test_production_redirects_plain_http_to_https():
    env = production_env(DATABASE_URL="sqlite:///:memory:", REDIS_URL=None)
    probe = 'from django.test import Client; r = Client().get("/backoffice/login/", HTTP_HOST="atelier.example.com"); print(r.status_code, r["Location"])'
    result = manage("shell", "-c", probe, env=env)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "301 https://atelier.example.com/backoffice/login/"
    )
