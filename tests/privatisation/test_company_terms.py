"""The request form tells each kind of customer its own terms before they submit (issue 15)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from privatisation.models import PrivatisationRequest
from tests.factories import WorkshopFactory
from tests.privatisation.test_views import form_data

pytestmark = pytest.mark.django_db
NOW = timezone.datetime(2026, 12, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(0))  # 10:00 in Paris


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def workshop():
    return WorkshopFactory(
        price_cents=5000, private_min_capacity=3, private_max_capacity=10, slug="pottery"
    )


def _block(html: str, kind: str) -> str:
    match = re.search(rf'<div class="[^"]*" data-kind-terms="{kind}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no terms block for {kind}"
    return match.group(1)


@time_machine.travel(NOW, tick=False)
def test_each_kind_shows_its_own_answer_deadline_earliest_date_and_price_wording(client, workshop):
    html = client.get(reverse("privatisation:request_form", args=["pottery"])).content.decode()
    individual, company = _block(html, "individual"), _block(html, "company")
    assert "within 72 hours" in individual and "Friday, 4 December 2026, 10:00" in individual
    assert "within 5 days with a quote" in company and "Sunday, 6 December 2026, 10:00" in company
    assert "72 hours" not in company
    # The live fixed price is the individual's; a company is told a quote follows instead.
    assert 'data-kind-terms="company" hidden' in html
    assert "A quote will follow" in html


@time_machine.travel(NOW, tick=False)
def test_a_refused_company_form_keeps_showing_the_company_terms(client, workshop):
    eighty_hours = (NOW + timedelta(hours=80)).astimezone(workshop.tzinfo)
    data = form_data(
        [(eighty_hours.date(), eighty_hours.strftime("%H:%M"))], kind="company", company_name="ACME"
    )
    response = client.post(reverse("privatisation:request_form", args=["pottery"]), data)
    html = response.content.decode()
    assert response.status_code == 200 and not PrivatisationRequest.objects.exists()
    assert "too soon" in html and "06/12/2026 10:00" in html  # the company's own earliest start
    assert 'data-kind-terms="individual" hidden' in html  # the page stays on the company's terms


@time_machine.travel(NOW, tick=False)
def test_a_slot_80_hours_ahead_is_fine_for_an_individual(client, workshop):
    eighty_hours = (NOW + timedelta(hours=80)).astimezone(workshop.tzinfo)
    data = form_data([(eighty_hours.date(), eighty_hours.strftime("%H:%M"))])
    response = client.post(reverse("privatisation:request_form", args=["pottery"]), data)
    assert response.status_code == 302 and PrivatisationRequest.objects.get().kind == "individual"


def test_workshop_page_does_not_promise_72_hours_to_everyone(client, workshop):
    workshop.is_published = workshop.privatisation_enabled = True
    workshop.save()
    html = client.get(reverse("storefront:workshop", args=[workshop.slug])).content.decode()
    assert (
        "Within 72 hours for a private group; within 5 days, with a quote, for a company." in html
    )


def test_the_delays_follow_the_settings(client, workshop, settings):
    settings.PRIVATISATION_COMPANY_RESPOND_HOURS = 48
    html = client.get(reverse("privatisation:request_form", args=["pottery"])).content.decode()
    assert "within 48 hours with a quote" in _block(html, "company")
