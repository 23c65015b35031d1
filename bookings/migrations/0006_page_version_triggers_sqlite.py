"""SQLite rebuilds a table to add or alter a column (0004 and 0005 did, on the artisan and the
order tables), and a rebuilt table loses its triggers: put the page-version triggers of
0003_perf_versions back. PostgreSQL alters tables in place and keeps them.

A later migration that adds or alters a column of a table in `TABLES` must start with
`drop_sqlite_triggers` (a trigger naming a table SQLite is rebuilding stops the rebuild) and end
with `recreate_sqlite_triggers` (tests/bookings/test_page_version_triggers.py fails otherwise)."""

import importlib

from django.db import migrations

versions = importlib.import_module("bookings.migrations.0003_perf_versions")


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    versions.drop_triggers(apps, schema_editor)
    versions.create_triggers(apps, schema_editor)


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        versions.drop_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_owner_history"),
    ]

    operations = [
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
