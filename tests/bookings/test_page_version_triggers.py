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
