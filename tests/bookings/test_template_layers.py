"""Templates follow the import layers: a bookings template never includes an upper app's."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import WorkshopFactory

BOOKINGS_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "bookings"
UPPER_APPS = ("privatisation", "pending_orders")
REFERENCE = re.compile(r"""{%-?\s*(?:include|extends)\s+["']([^"']+)["']""")


def test_no_bookings_template_includes_or_extends_an_upper_apps_template():
    templates = sorted(BOOKINGS_TEMPLATES.rglob("*.*"))
    assert templates, "no bookings templates found"
    offending = [
        f"{path.relative_to(BOOKINGS_TEMPLATES)} → {name}"
        for path in templates
        for name in REFERENCE.findall(path.read_text(encoding="utf-8"))
        if name.split("/", 1)[0] in UPPER_APPS
    ]
    assert offending == []


@pytest.mark.django_db
def test_the_workshop_page_shows_what_privatisation_registered_in_its_slot(client):
    workshop = WorkshopFactory(privatisation_enabled=True)
    page = client.get(reverse("storefront:workshop", args=[workshop.slug])).content.decode()
    assert 'class="privatise-cta"' in page
    assert reverse("privatisation:request_form", args=[workshop.slug]) in page
