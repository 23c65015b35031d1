"""A million characters in any text box is a form error next to the field, never a 500 and never
a saved row: every text field people fill has a length limit in the model and in its form."""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from .conftest import db_snapshot, form_values

pytestmark = pytest.mark.django_db

MILLION = "x" * 1_000_000
TOO_LONG = "Ensure this value has at most"


def _book(w):
    return reverse("storefront:book", args=[w.workshop.slug, w.empty_slot.pk])


# (name, url, signed in as the owner?, field, extra values, expected status after the post)
CASES = [
    ("booking name", _book, False, "customer_name", {}),
    (
        "request billing details",
        lambda w: reverse("privatisation:request_form", args=[w.workshop.slug]),
        False,
        "billing_details",
        {"kind": "company", "company_name": "Acme"},
    ),
    (
        "request message",
        lambda w: reverse("privatisation:request_form", args=[w.workshop.slug]),
        False,
        "message",
        {},
    ),
    (
        "request company name",
        lambda w: reverse("privatisation:request_form", args=[w.workshop.slug]),
        False,
        "company_name",
        {"kind": "company"},
    ),
    (
        "suggestion message",
        lambda w: reverse("privatisation:suggest", args=[w.workshop.slug]),
        False,
        "message",
        {},
    ),
    (
        "customer chat",
        lambda w: reverse("privatisation:customer_message", args=[w.privreq.token]),
        False,
        "body",
        {},
    ),
    (
        "workshop description",
        lambda w: reverse("backoffice:workshop_edit", args=[w.workshop.pk]),
        True,
        "description",
        {},
    ),
    (
        "workshop practical information",
        lambda w: reverse("backoffice:workshop_edit", args=[w.workshop.pk]),
        True,
        "practical_info",
        {},
    ),
    (
        "business address",
        lambda w: reverse("backoffice:activity_settings"),
        True,
        "legal_address",
        {},
    ),
    (
        "slot cancel message",
        lambda w: reverse("backoffice:slot_cancel", args=[w.slot.pk]),
        True,
        "message",
        {},
    ),
    (
        "artisan answer",
        lambda w: reverse("privatisation:manage", args=[w.privreq.pk]),
        True,
        "message",
        {"decision": "refuse", "action": "answer"},
    ),
    (
        "artisan chat",
        lambda w: reverse("privatisation:manage", args=[w.privreq.pk]),
        True,
        "body",
        {"action": "message"},
    ),
]

GET_URL = {
    "customer chat": lambda w: reverse("privatisation:customer_request", args=[w.privreq.token]),
}


@pytest.mark.parametrize("name,url,signed_in,field,extra", CASES, ids=[case[0] for case in CASES])
def test_a_million_characters_is_a_form_error_and_saves_nothing(
    client, world, name, url, signed_in, field, extra
):
    if signed_in:
        client.force_login(world.a.user)
    post_url = url(world)
    page = client.get(GET_URL.get(name, url)(world))
    assert page.status_code == 200
    data = form_values(page.content.decode())
    data.update({key: [value] for key, value in extra.items()})
    data[field] = [MILLION]
    before = db_snapshot()
    response = client.post(post_url, data)
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    assert TOO_LONG in html
    assert db_snapshot() == before


def test_the_ticket_type_description_is_limited_in_the_workshop_form(client, world):
    client.force_login(world.a.user)
    url = reverse("backoffice:workshop_edit", args=[world.workshop.pk])
    data = form_values(client.get(url).content.decode())
    key = next(k for k in data if k.startswith("tickets-") and k.endswith("-description"))
    data[key] = [MILLION]
    before = db_snapshot()
    response = client.post(url, data)
    assert response.status_code in (200, 400)
    assert TOO_LONG in response.content.decode()
    assert db_snapshot() == before


def test_a_million_character_decision_message_is_refused_before_anything_changes(client, world):
    client.force_login(world.a.user)
    before = db_snapshot()
    response = client.post(
        reverse("pending_orders:action"),
        {"action": "refuse", "order": str(world.pending.pk), "message": MILLION, "confirmed": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert TOO_LONG in response.content.decode()
    assert db_snapshot() == before


USER_TEXT = {
    "bookings.Artisan": ["bio", "legal_address"],
    "bookings.Workshop": ["description", "practical_info"],
    "bookings.TicketType": ["description"],
    "bookings.Slot": ["cancel_message"],
    "bookings.Order": ["decision_message"],
    "privatisation.PrivatisationRequest": ["billing_details", "message"],
    "privatisation.Message": ["body"],
    "privatisation.Quote": ["note"],
    "privatisation.DateSuggestion": ["message"],
}


@pytest.mark.parametrize("label", USER_TEXT)
def test_every_text_field_people_fill_has_a_limit_in_the_model(label):
    model = apps.get_model(label)
    for name in USER_TEXT[label]:
        field = model._meta.get_field(name)
        assert isinstance(field, models.TextField)
        assert field.max_length, f"{label}.{name} has no max_length"
