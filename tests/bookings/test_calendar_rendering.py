"""The back-office calendar renders its slots in Python (templatetags/backoffice.py): same markup, escaped."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from bookings.states import OrderStatus, SlotKind, SlotStatus
from tests.factories import ArtisanFactory, OrderFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 8, tzinfo=UTC)


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


def _calendar(client, **params):
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("backoffice:calendar"), params).content.decode()


def test_a_slot_shows_its_local_time_seats_link_and_escaped_title(signed_in, artisan):
    workshop = WorkshopFactory(
        artisan=artisan, title="<b>Tom & Jerry</b>", timezone="America/New_York"
    )
    slot = SlotFactory(
        workshop=workshop,
        starts_at=datetime(2026, 6, 12, 14, tzinfo=UTC),
        capacity=8,
        seats_taken=3,
    )
    html = _calendar(signed_in)
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html and "<b>Tom" not in html
    assert f'href="{reverse("backoffice:slot_participants", args=[slot.pk])}"' in html
    assert '<time datetime="2026-06-12T14:00:00+00:00">10:00</time>' in html  # New York wall clock
    assert '<span class="cal-seats" title="seats booked / capacity">3/8</span>' in html


def test_private_held_and_cancelled_slots_are_marked(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan)
    at = datetime(2026, 6, 12, 9, tzinfo=UTC)
    cancelled = SlotFactory(workshop=workshop, starts_at=at, status=SlotStatus.CANCELLED)
    OrderFactory(
        slot=cancelled, status=OrderStatus.CANCELLED
    )  # had a customer: stays, struck through
    SlotFactory(
        workshop=workshop,
        starts_at=at.replace(hour=11),
        kind=SlotKind.PRIVATE,
        status=SlotStatus.HELD,
    )
    html = _calendar(signed_in)
    assert 'class="cal-slot cal-slot-cancelled"' in html and "<del>" in html
    assert 'class="cal-slot cal-slot-private"' in html and "Held for a request" in html


def test_day_labels_are_localised(signed_in, artisan):
    signed_in.cookies.load({"django_language": "fr"})
    with translation.override("en"):
        html = _calendar(signed_in)
    assert 'aria-label="mercredi 10 juin 2026"' in html
    assert "Nouveau créneau le 11 juin" in html
    signed_in.cookies.load({"django_language": "en"})
    with translation.override("en"):
        assert 'aria-label="Wednesday 10 June 2026"' in _calendar(signed_in)
