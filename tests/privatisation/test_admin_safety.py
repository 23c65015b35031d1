"""Ops in the admin: what the customer was told and billed stays as it is, the model's rules are
form errors (never a 500), statuses move only through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from privatisation.models import PrivatisationRequest, Quote
from privatisation.services.suggestions import date_suggestion_submit
from tests.factories import WorkshopFactory, privatisation_submit
from tests.privatisation.test_quotes import answer_company
from tests.security.conftest import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def privreq():
    return privatisation_submit(WorkshopFactory(), participants=4)


def change_url(privreq):
    return reverse("admin:privatisation_privatisationrequest_change", args=[privreq.pk])


def change_form(admin_client, privreq) -> dict:
    return form_values(admin_client.get(change_url(privreq)).content.decode())


def test_raising_participants_above_what_was_billed_is_a_form_error_not_a_500(
    admin_client, privreq
):
    data = change_form(admin_client, privreq)
    data["participants"] = [str(privreq.billed_participants + 3)]
    response = admin_client.post(change_url(privreq), data)
    assert response.status_code == 200
    assert "participants were billed: the number cannot be higher" in response.content.decode()
    privreq.refresh_from_db()
    assert privreq.participants == 4


def test_lowering_participants_within_what_was_billed_is_saved(admin_client, privreq):
    data = change_form(admin_client, privreq)
    data["participants"] = ["3"]
    response = admin_client.post(change_url(privreq), data)
    assert response.status_code == 302
    privreq.refresh_from_db()
    assert privreq.participants == 3 and privreq.billed_participants == 4


@pytest.mark.parametrize(
    "field", ["kind", "phone", "customer_timezone", "status", "price_cents", "billed_participants"]
)
def test_what_the_customer_was_told_and_billed_is_read_only(admin_client, privreq, field):
    data = change_form(admin_client, privreq)
    assert field not in data
    before = PrivatisationRequest.objects.values(field).get(pk=privreq.pk)
    data[field] = ["company" if field == "kind" else "1"]
    admin_client.post(change_url(privreq), data)
    assert PrivatisationRequest.objects.values(field).get(pk=privreq.pk) == before


def test_a_quote_cannot_be_added_in_the_admin_it_comes_with_the_answer(admin_client):
    assert admin_client.get(reverse("admin:privatisation_quote_add")).status_code == 403
    changelist = admin_client.get(reverse("admin:privatisation_quote_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:privatisation_quote_add") not in changelist.content.decode()


def test_a_quote_opens_in_the_admin_with_its_amounts_read_only(admin_client):
    answer_company(WorkshopFactory(), net_cents=90000)
    quote = Quote.objects.get()
    url = reverse("admin:privatisation_quote_change", args=[quote.pk])
    data = form_values(admin_client.get(url).content.decode())
    assert "amount_cents" not in data and "reference" not in data
    assert admin_client.post(url, {**data, "note": ["x" * 5000]}).status_code == 200  # too long
    quote.refresh_from_db()
    assert quote.note == "" and quote.amount_cents == 90000


def test_a_suggestion_status_is_read_only_in_the_admin(admin_client, privreq):
    suggestion = date_suggestion_submit(
        workshop_id=privreq.workshop_id,
        starts_at=timezone.now() + timedelta(days=20),
        name="Ada",
        email="ada@example.com",
        message="",
        language="en",
    )
    url = reverse("admin:privatisation_datesuggestion_change", args=[suggestion.pk])
    assert "status" not in form_values(admin_client.get(url).content.decode())


def test_proposals_offers_and_messages_are_not_added_in_the_admin(admin_client, privreq):
    data = change_form(admin_client, privreq)
    formsets = [key[: -len("-MAX_NUM_FORMS")] for key in data if key.endswith("-MAX_NUM_FORMS")]
    shown = [p for p in formsets if not p.startswith(("status_changes", "requeststatuschange"))]
    assert len(shown) >= 3, formsets
    for prefix in shown:
        assert data[f"{prefix}-MAX_NUM_FORMS"] == ["0"], prefix
