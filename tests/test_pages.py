"""What every page carries: the icon, htmx told not to inject inline styles (the CSP forbids them)."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_is_shipped_and_reached_from_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].startswith("/static/favicon")
    assert finders.find("favicon.ico") and finders.find("favicon.svg")


def test_pages_turn_off_htmx_indicator_styles(client):
    html = client.get("/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in html
    assert 'rel="icon"' in html
