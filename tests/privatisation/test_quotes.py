"""A company's quote its accounts can file: legal details, number, VAT breakdown, PDF (issue 15)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.services.artisans import artisan_legal_update
from notifications.models import Notification
from privatisation.models import Quote
from privatisation.quote_pdf import quote_pdf
from privatisation.services.quotes import vat_breakdown
from privatisation.services.respond import QuoteInput, privatisation_request_respond
from tests.factories import WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db

LEGAL = {
    "legal_name": "Terre & Feu SARL",
    "legal_address": "12 rue des Potiers\n75011 Paris",
    "company_number": "123 456 789 00012",
    "vat_number": "FR12123456789",
    "vat_rate_bp": 2000,
    "vat_exemption_note": "",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def workshop():
    return WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)


def answer_company(workshop, *, net_cents=80000, in_days=10):
    start = (
        (timezone.now() + timedelta(days=in_days))
        .astimezone(workshop.tzinfo)
        .replace(hour=10, minute=0, second=0, microsecond=0)
    )
    req = privatisation_submit(workshop, kind="company", company_name="ACME", starts=[start])
    until = timezone.now() + timedelta(days=14)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Here is our quote.",
        quote=QuoteInput(amount_cents=net_cents, valid_until=until),
    )
    req.refresh_from_db()
    return req


@pytest.mark.parametrize(
    ("net", "rate_bp", "vat", "total"),
    [
        (80000, 2000, 16000, 96000),  # 800.00 € + 20 %
        (1001, 550, 55, 1056),  # 10.01 € × 5.5 % = 0.55055 → 0.55
        (10, 500, 1, 11),  # 0.10 € × 5 % = 0.005 → rounds half up to 0.01
        (9, 500, 0, 9),  # 0.0045 → 0.00
        (12345, 0, 0, 12345),  # a zero rate is still a VAT line
        (12345, None, 0, 12345),  # VAT not applicable
    ],
)
def test_vat_is_computed_on_the_amount_before_tax_rounded_half_up(net, rate_bp, vat, total):
    breakdown = vat_breakdown(net, rate_bp)
    assert (breakdown.vat_cents, breakdown.total_cents) == (vat, total)


def test_quote_adds_the_artisans_vat_and_the_customer_pays_the_total(workshop):
    artisan_legal_update(artisan=workshop.artisan, values=LEGAL)
    req = answer_company(workshop)
    quote = req.quote
    assert (quote.net_cents, quote.vat_rate_bp, quote.vat_cents, quote.amount_cents) == (
        80000,
        2000,
        16000,
        96000,
    )
    assert req.amount_due_cents == 96000


def test_quote_numbers_run_in_sequence_per_artisan_and_stay(workshop):
    first, second = answer_company(workshop), answer_company(workshop, in_days=20)
    other = answer_company(WorkshopFactory())
    year = timezone.now().year
    assert first.quote.reference == f"D{workshop.artisan.pk}-{year}-0001"
    assert second.quote.reference == f"D{workshop.artisan.pk}-{year}-0002"
    assert other.quote.reference.endswith("-0001")
    assert Quote.objects.get(pk=first.quote.pk).reference == first.quote.reference


def test_a_quote_keeps_the_legal_details_of_its_day(workshop):
    artisan_legal_update(artisan=workshop.artisan, values=LEGAL)
    req = answer_company(workshop)
    artisan_legal_update(
        artisan=workshop.artisan, values={**LEGAL, "legal_name": "New name", "vat_rate_bp": 1000}
    )
    quote = Quote.objects.get(pk=req.quote.pk)
    assert quote.seller_details["name"] == "Terre & Feu SARL" and quote.vat_rate_bp == 2000


def test_printable_quote_states_what_accounts_need(client, workshop):
    artisan_legal_update(artisan=workshop.artisan, values=LEGAL)
    req = answer_company(workshop)
    html = client.get(reverse("privatisation:quote", args=[req.token])).content.decode()
    for text in (
        "Terre &amp; Feu SARL",
        "12 rue des Potiers",
        "123 456 789 00012",
        "FR12123456789",
        req.quote.reference,
        "Issued on",
        "Valid until",
        "Amount before tax",
        "€800.00",
        "VAT 20%",
        "€160.00",
        "Total to pay",
        "€960.00",
        "ACME",
    ):
        assert text in html, text


def test_quote_without_vat_shows_the_exemption_mention(client, workshop):
    artisan_legal_update(
        artisan=workshop.artisan,
        values={
            **LEGAL,
            "vat_rate_bp": None,
            "vat_number": "",
            "vat_exemption_note": "TVA non applicable, art. 293 B du CGI",
        },
    )
    req = answer_company(workshop, net_cents=45000)
    html = client.get(reverse("privatisation:quote", args=[req.token])).content.decode()
    assert "TVA non applicable, art. 293 B du CGI" in html and "€450.00" in html
    assert "FR12123456789" not in html and "VAT 20%" not in html
    assert req.quote.amount_cents == 45000


def test_quote_email_carries_the_pdf(workshop, django_capture_on_commit_callbacks):
    req = answer_company(workshop)
    email = Notification.objects.get(idempotency_key=f"privreq:{req.pk}:answered:customer:email")
    sms = Notification.objects.get(idempotency_key=f"privreq:{req.pk}:answered:customer:sms")
    [attachment] = email.attachments
    assert (
        attachment["filename"] == f"{req.quote.reference}.pdf"
        and attachment["mimetype"] == "application/pdf"
    )
    assert req.quote.reference in email.body_text and "PDF is attached" in email.body_text
    assert sms.attachments == []


def test_quote_pdf_is_one_a4_page_in_the_customers_language(workshop):
    artisan_legal_update(artisan=workshop.artisan, values=LEGAL)
    req = answer_company(workshop)
    pdf = quote_pdf(req.quote, language="fr")
    assert pdf.startswith(b"%PDF")
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page>") == 1
    )
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert f"Devis {req.quote.reference}".encode() in pdf  # the document title, in French


def test_quote_pdf_download_of_an_unknown_token_is_404(client):
    assert client.get(reverse("privatisation:quote_pdf", args=["x" * 40])).status_code == 404


def test_quote_pdf_download(client, workshop):
    req = answer_company(workshop)
    response = client.get(reverse("privatisation:quote_pdf", args=[req.token]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
