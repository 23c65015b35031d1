"""My activity → Legal details and VAT: what a company's quote states about the artisan."""

import pytest
from django.urls import reverse

from bookings.models import Artisan
from tests.factories import ArtisanFactory

pytestmark = pytest.mark.django_db
URL = reverse("backoffice:activity_settings")


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


def post(client, **overrides):
    data = {
        "legal_name": "Terre & Feu SARL",
        "legal_address": "12 rue des Potiers",
        "company_number": "12345678900012",
        "vat": "subject",
        "vat_rate": "5,5",
        "vat_number": "FR12123456789",
        "vat_exemption_note": "",
    }
    return client.post(URL, {**data, **overrides})


def test_artisan_subject_to_vat_saves_a_rate_in_basis_points(signed_in, artisan):
    response = post(signed_in)
    assert response.status_code == 302
    artisan.refresh_from_db()
    assert (artisan.legal_name, artisan.vat_rate_bp, artisan.vat_number) == (
        "Terre & Feu SARL",
        550,
        "FR12123456789",
    )
    assert "FR12123456789" in signed_in.get(URL).content.decode()  # shown back for editing


def test_vat_not_applicable_keeps_the_mention_and_no_rate(signed_in, artisan):
    post(
        signed_in,
        vat="exempt",
        vat_rate="",
        vat_exemption_note="TVA non applicable, art. 293 B du CGI",
    )
    artisan.refresh_from_db()
    assert artisan.vat_rate_bp is None and not artisan.subject_to_vat
    assert (
        artisan.vat_exemption_note == "TVA non applicable, art. 293 B du CGI"
        and artisan.vat_number == ""
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vat_rate": ""}, "Give your VAT rate"),
        ({"vat_number": ""}, "shows your VAT number"),
        ({"vat_rate": "120"}, "less than or equal to 100"),
        ({"vat_rate": "abc"}, "Enter a number"),
        ({"vat": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_vat_settings_are_refused_next_to_the_field_and_nothing_saved(
    signed_in, artisan, overrides, message
):
    response = post(signed_in, **overrides)
    assert response.status_code == 200 and message in response.content.decode()
    assert Artisan.objects.get(pk=artisan.pk).legal_name == ""


def test_the_settings_are_the_signed_in_artisans_only(client, artisan):
    assert client.get(URL).status_code == 302  # to the login page
    other = ArtisanFactory()
    client.force_login(other.user)
    post(client)
    assert Artisan.objects.get(pk=other.pk).legal_name == "Terre & Feu SARL"
    assert Artisan.objects.get(pk=artisan.pk).legal_name == ""
