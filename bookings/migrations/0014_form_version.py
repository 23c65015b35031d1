"""The booking form's page version ("f"): bumped by every write "w" is bumped by, except a slot
update that changes only `seats_taken`. The booking page keeps its form under it and fills the
seats left in at each display, so a booking does not make the next customer's form render again
(issue 13). PostgreSQL: the functions of 0003_perf_versions, replaced; SQLite: its triggers,
made again by 0003's (current) builder."""

import importlib

from django.db import migrations

sqlite_triggers = importlib.import_module("bookings.migrations.0006_page_version_triggers_sqlite")
versions = importlib.import_module("bookings.migrations.0003_perf_versions")

POSTGRES = r"""
DROP FUNCTION IF EXISTS atelier_page_bump_workshop(bigint, bigint);

CREATE FUNCTION atelier_page_bump_workshop(wid bigint, aid bigint, form boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF aid IS NULL THEN
    SELECT artisan_id INTO aid FROM bookings_workshop WHERE id = wid;
  END IF;
  IF aid IS NOT NULL THEN
    PERFORM atelier_page_bump('a', aid);
  END IF;
  PERFORM atelier_page_bump('w', wid);
  IF form THEN
    PERFORM atelier_page_bump('f', wid);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION atelier_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  form boolean := true;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'bookings_artisan' THEN
    PERFORM atelier_page_bump('a', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    PERFORM atelier_page_bump('w', w.id) FROM bookings_workshop w
      WHERE w.artisan_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END ORDER BY w.id;
    PERFORM atelier_page_bump('f', w.id) FROM bookings_workshop w
      WHERE w.artisan_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END ORDER BY w.id;
  ELSIF TG_TABLE_NAME = 'bookings_workshop' THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM atelier_page_bump_workshop(OLD.id, OLD.artisan_id, true);
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM atelier_page_bump_workshop(NEW.id, NEW.artisan_id, true);
    END IF;
  ELSE  -- bookings_slot, bookings_tickettype
    IF TG_TABLE_NAME = 'bookings_slot' AND TG_OP = 'UPDATE' THEN
      -- Only the seat count changed: the form stays as it is (its page fills the seats in).
      form := (to_jsonb(NEW) - 'seats_taken') IS DISTINCT FROM (to_jsonb(OLD) - 'seats_taken');
    END IF;
    IF TG_OP <> 'INSERT' THEN
      PERFORM atelier_page_bump_workshop(OLD.workshop_id, NULL, form);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.workshop_id <> OLD.workshop_id) THEN
      PERFORM atelier_page_bump_workshop(NEW.workshop_id, NULL, true);
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES)
    else:
        sqlite_triggers.recreate_sqlite_triggers(apps, schema_editor)


def backward(apps, schema_editor):
    """0003's functions and triggers again. SQLite keeps the current triggers: an "f" bump more
    is harmless."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "DROP FUNCTION IF EXISTS atelier_page_bump_workshop(bigint, bigint, boolean)"
            )
        versions.drop_triggers(apps, schema_editor)
        versions.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0013_giftcards"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
