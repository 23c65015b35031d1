"""The back-office calendar grid, cached under the artisan's database-kept PageVersion."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.views import backoffice as backoffice_views
from tests.factories import ArtisanFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 8, tzinfo=UTC)
URL = "/backoffice/calendar/?month=2026-06"


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def slot(artisan):
    workshop = WorkshopFactory(artisan=artisan, title="Raku firing")
    return SlotFactory(
        workshop=workshop, starts_at=NOW + timedelta(days=2), capacity=8, seats_taken=3
    )


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


@pytest.fixture
def grids(count_calls):
    """How many times the calendar grid was built."""
    return count_calls(backoffice_views, "_calendar_body")


@time_machine.travel(NOW, tick=False)
def test_a_repeat_view_reuses_the_grid_without_loading_the_slots(signed_in, slot, grids):
    with CaptureQueriesContext(connection) as first:
        assert "3/8" in signed_in.get(URL).content.decode()
    with CaptureQueriesContext(connection) as second:
        assert "3/8" in signed_in.get(URL).content.decode()
    assert len(grids) == 1
    assert len(second) == len(first) - 1  # the slots query is not run
    assert not any('"bookings_slot"."seats_taken"' in q["sql"] for q in second.captured_queries)


@time_machine.travel(NOW, tick=False)
def test_a_raw_sql_write_to_a_slot_or_workshop_shows_on_the_next_view(signed_in, slot, grids):
    assert "3/8" in signed_in.get(URL).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE bookings_slot SET seats_taken = 7 WHERE id = %s", [slot.pk])
    assert "7/8" in signed_in.get(URL).content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_workshop SET title = 'Wood firing' WHERE id = %s", [slot.workshop_id]
        )
    html = signed_in.get(URL).content.decode()
    assert "Wood firing" in html and "Raku firing" not in html
    assert len(grids) == 3


@time_machine.travel(NOW, tick=False)
def test_another_artisans_write_leaves_the_grid_cached(signed_in, slot, grids):
    signed_in.get(URL)
    SlotFactory(
        workshop=WorkshopFactory(artisan=ArtisanFactory()), starts_at=NOW + timedelta(days=3)
    )
    signed_in.get(URL)
    assert len(grids) == 1


def test_the_grid_follows_the_day(signed_in, slot, grids):
    with time_machine.travel(NOW, tick=False):
        signed_in.get(URL)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        signed_in.get(URL)
    assert len(grids) == 2
