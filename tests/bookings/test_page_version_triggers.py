"""The page caches are only as fresh as the database triggers that bump `PageVersion`: every
table a cached page shows must still carry them after all migrations (SQLite drops a table's
triggers when a migration rebuilds it to add or alter a column)."""

import importlib

import pytest
from django.db import connection

TABLES = importlib.import_module("bookings.migrations.0003_perf_versions").TABLES


def _tables_with_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%page_version%'"
            )
        else:
            cursor.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%page_version%'"
            )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_every_table_a_cached_page_shows_keeps_its_version_trigger():
    assert set(TABLES) <= _tables_with_triggers()


def _versions(workshop_id: int) -> dict[str, int]:
    from bookings.models import PageVersion

    return dict(
        PageVersion.objects.filter(object_id=workshop_id, kind__in=("w", "f")).values_list(
            "kind", "version"
        )
    )


def _bumped(workshop_id: int, sql: str, params: list) -> set[str]:
    before = _versions(workshop_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    after = _versions(workshop_id)
    return {kind for kind in ("w", "f") if after.get(kind) != before.get(kind)}


@pytest.mark.django_db(transaction=True)  # PostgreSQL's triggers run at commit
def test_the_booking_forms_version_skips_a_change_of_the_seats_taken_alone():
    from tests.factories import SlotFactory, TicketTypeFactory

    slot = SlotFactory(capacity=8)
    ticket_type = TicketTypeFactory(workshop=slot.workshop)
    wid, update = slot.workshop_id, "UPDATE bookings_slot SET {} WHERE id = %s"
    assert _bumped(wid, update.format("seats_taken = 3"), [slot.pk]) == {"w"}
    assert _bumped(wid, update.format("capacity = 9"), [slot.pk]) == {"w", "f"}
    assert _bumped(wid, update.format("seats_taken = 1, status = 'cancelled'"), [slot.pk]) == {
        "w",
        "f",
    }
    assert _bumped(
        wid, "UPDATE bookings_tickettype SET name = 'Child' WHERE id = %s", [ticket_type.pk]
    ) == {"w", "f"}
    assert _bumped(
        wid,
        "UPDATE bookings_artisan SET display_name = 'New' WHERE id = %s",
        [slot.workshop.artisan_id],
    ) == {"w", "f"}
    assert _bumped(wid, "DELETE FROM bookings_slot WHERE id = %s", [slot.pk]) == {"w", "f"}
