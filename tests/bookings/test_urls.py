"""Customer URLs read as one tree under /workshops/<slug>/; the first release's addresses 301 there."""

import pytest
from django.urls import reverse

from tests.factories import SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot():
    return SlotFactory(workshop=WorkshopFactory(slug="raku-firing"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_customer_urls_of_a_workshop_share_one_tree(client, slot, language):
    client.cookies["django_language"] = language
    base = "/workshops/raku-firing/"
    assert reverse("storefront:workshop", args=["raku-firing"]) == base
    assert reverse("storefront:book", args=["raku-firing", slot.pk]) == f"{base}book/{slot.pk}/"
    assert reverse("privatisation:request_form", args=["raku-firing"]) == f"{base}privatise/"
    page = client.get(base)
    assert page.status_code == 200
    assert f'href="{base}book/{slot.pk}/"' in page.content.decode()
    assert client.get(f"{base}book/{slot.pk}/").status_code == 200


def test_old_workshop_url_redirects_permanently_with_its_query(client, slot):
    response = client.get("/w/raku-firing/?after=2", follow=False)
    assert response.status_code == 301
    assert response["Location"] == "/workshops/raku-firing/?after=2"


def test_old_booking_url_redirects_permanently_under_its_workshop(client, slot):
    response = client.get(f"/book/{slot.pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"/workshops/raku-firing/book/{slot.pk}/"


def test_booking_a_slot_under_another_workshop_is_404(client, slot):
    WorkshopFactory(slug="bread")
    assert client.get(f"/workshops/bread/book/{slot.pk}/").status_code == 404
    assert client.get("/book/999999/").status_code == 404
