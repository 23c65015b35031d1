"""Inputs say what they hold: one type each, the keypad (inputmode) and autofill (autocomplete)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


class Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[list[tuple[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(attrs)


def inputs_of(html: str) -> list[list[tuple[str, str]]]:
    parser = Inputs()
    parser.feed(html)
    return parser.inputs


def check_inputs(html: str, expected: dict[str, dict[str, str]]):
    seen = {}
    for attrs in inputs_of(html):
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"an attribute given twice: {attrs}"
        attrs = dict(attrs)
        seen[attrs.get("name")] = attrs
    for name, wanted in expected.items():
        assert name in seen, f"no input named {name}"
        for key, value in wanted.items():
            assert seen[name].get(key) == value, (
                f"{name}: {key}={seen[name].get(key)!r}, wanted {value!r}"
            )


TEL = {"type": "tel", "inputmode": "tel", "autocomplete": "tel"}
EMAIL = {"type": "email", "autocomplete": "email"}
NAME = {"type": "text", "autocomplete": "name"}
COUNT = {"type": "number", "inputmode": "numeric"}


def test_booking_form_inputs(client):
    slot = SlotFactory()
    ticket = TicketTypeFactory(workshop=slot.workshop)
    html = client.get(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    ).content.decode()
    check_inputs(
        html,
        {
            "customer_phone": TEL,
            "customer_email": EMAIL,
            "customer_name": NAME,
            f"qty_{ticket.pk}": COUNT,
        },
    )


def test_privatisation_and_suggestion_form_inputs(client):
    workshop = WorkshopFactory(privatisation_enabled=True)
    html = client.get(reverse("privatisation:request_form", args=[workshop.slug])).content.decode()
    check_inputs(
        html,
        {
            "phone": TEL,
            "email": EMAIL,
            "contact_name": NAME,
            "participants": COUNT,
            "company_name": {"autocomplete": "organization"},
        },
    )
    html = client.get(reverse("privatisation:suggest", args=[workshop.slug])).content.decode()
    check_inputs(html, {"email": EMAIL, "contact_name": NAME})


def test_back_office_forms_use_number_keypads_and_address_autofill(client):
    workshop = WorkshopFactory()
    client.force_login(workshop.artisan.user)
    html = client.get(reverse("backoffice:workshop_edit", args=[workshop.pk])).content.decode()
    check_inputs(
        html,
        {
            "duration_minutes": COUNT,
            "default_capacity": COUNT,
            "private_min_capacity": COUNT,
            "city": {"autocomplete": "address-level2"},
            "address": {"autocomplete": "street-address"},
        },
    )
    html = client.get(reverse("backoffice:slot_create")).content.decode()
    check_inputs(
        html, {"capacity": COUNT, "date": {"type": "date"}, "start_time": {"type": "time"}}
    )
