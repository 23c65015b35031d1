"""Fixtures of the after-the-booking tests (test_changes*.py): a workshop in Paris, two dates,
an order of two seats paid on the dev gateway."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.states import OrderStatus
from tests.bookings.test_orders import pay_on_dev_gateway, place
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory


def make_slot(workshop, days, **kwargs):
    """A slot `days` from now, on the hour (capacity 6 unless told)."""
    start = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return SlotFactory(
        workshop=workshop, starts_at=start, capacity=kwargs.pop("capacity", 6), **kwargs
    )


@pytest.fixture
def workshop():
    return WorkshopFactory(price_cents=4000, timezone="Europe/Paris")


@pytest.fixture
def adult(workshop):
    return TicketTypeFactory(workshop=workshop, name="Adult", price_cents=4000)


@pytest.fixture
def first(workshop):
    return make_slot(workshop, 10)


@pytest.fixture
def second(workshop):
    return make_slot(workshop, 17)


@pytest.fixture
def paid(first, adult, django_capture_on_commit_callbacks):
    """A confirmed, paid order of 2 seats on the first date."""
    order = place(first, {adult.pk: 2})
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_dev_gateway(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    return order
