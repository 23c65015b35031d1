"""A small world of two artisans (A owns everything the tests aim at, B is the intruder)."""

from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.utils import timezone

from bookings.states import OrderStatus
from pending_orders.models import DecisionBatch
from pending_orders.states import DecisionAction
from privatisation.services.suggestions import date_suggestion_submit
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    OrderLineFactory,
    PendingOrderFactory,
    SlotFactory,
    TicketTypeFactory,
    WorkshopFactory,
    privatisation_submit,
)

SNAPSHOT_APPS = ("bookings", "privatisation", "pending_orders", "notifications")


def db_snapshot() -> dict:
    """Every row of every product model: a refused request must leave all of them as they were."""
    snap = {}
    for app in SNAPSHOT_APPS:
        for model in apps.get_app_config(app).get_models():
            snap[model._meta.label] = list(model.objects.order_by("pk").values())
    return snap


@dataclass
class World:
    a: object
    b: object
    workshop: object
    slot: object
    empty_slot: object
    order: object
    privreq: object
    suggestion: object
    pending: object
    batch: object
    b_workshop: object


@pytest.fixture
def world(db):
    a = ArtisanFactory(display_name="Atelier Alpha")
    b = ArtisanFactory(display_name="Atelier Beta")
    workshop = WorkshopFactory(artisan=a, title="Alpha secret workshop")
    TicketTypeFactory(workshop=workshop)
    slot = SlotFactory(workshop=workshop)
    empty_slot = SlotFactory(
        workshop=workshop,
        starts_at=slot.starts_at + timedelta(days=3),
        ends_at=slot.ends_at + timedelta(days=3),
    )
    order = OrderFactory(slot=slot, customer_name="Alpha Customer", status=OrderStatus.CONFIRMED)
    line = OrderLineFactory(order=order)
    order.tickets.create(line=line, label="Adult")
    privreq = privatisation_submit(workshop, message="Alpha private party")
    suggestion = date_suggestion_submit(
        workshop_id=workshop.pk,
        starts_at=timezone.now() + timedelta(days=20),
        name="Alpha Suggester",
        email="suggest@example.com",
        message="Saturday please",
        language="en",
    )
    pending_slot = SlotFactory(
        workshop=workshop,
        starts_at=slot.starts_at + timedelta(days=5),
        ends_at=slot.ends_at + timedelta(days=5),
    )
    pending = PendingOrderFactory(slot=pending_slot, customer_name="Alpha Pending")
    batch = DecisionBatch.objects.create(
        artisan=a, action=DecisionAction.ACCEPT, order_ids=[pending.pk]
    )
    b_workshop = WorkshopFactory(artisan=b, title="Beta workshop")
    SlotFactory(workshop=b_workshop)
    return World(
        a, b, workshop, slot, empty_slot, order, privreq, suggestion, pending, batch, b_workshop
    )


class _FormParser(HTMLParser):
    """The values a browser would submit for the forms of a page (inputs, checked boxes, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None
        self._first_option = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.data.setdefault(name, []).append(a.get("value", default) or "")
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.data.setdefault(self._select, []).append(a.get("value", ""))
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._selected and self._first_option is not None:
                self.data.setdefault(self._select, []).append(self._first_option)
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.data[self._textarea][-1]
            self.data[self._textarea][-1] = (
                value[1:] if value.startswith("\n") else value
            )  # as browsers do
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def form_values(html: str) -> dict[str, list[str]]:
    parser = _FormParser()
    parser.feed(html)
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data
