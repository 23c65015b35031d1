"""Page versions kept by the database: triggers bump them on every write a page shows.

A slot, workshop or ticket-type write bumps its workshop ("w") and that workshop's artisan
("a"); an artisan write bumps the artisan and each of its workshops. Raw SQL, the admin,
bulk updates: every writer is seen, in the same transaction as the write.

PostgreSQL: deferred constraint triggers, so the counter rows are locked only at commit
(never while a service still waits for a slot lock: no lock-order inversion with the
services), artisan row before workshop rows. SQLite (one writer at a time): plain triggers.

0014_form_version adds the booking form's version ("f": what "w" covers but a slot's seat count)
and replaces the PostgreSQL functions; the SQLite triggers below are already the current ones,
as 0006_page_version_triggers_sqlite makes them again after every table rebuild.
"""

from django.db import migrations, models


POSTGRES = r"""
CREATE FUNCTION atelier_page_bump(k text, oid bigint) RETURNS void LANGUAGE sql AS $$
  INSERT INTO bookings_pageversion (kind, object_id, version)
  VALUES (k, oid, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
  ON CONFLICT (kind, object_id) DO UPDATE
  SET version = GREATEST(bookings_pageversion.version + 1, EXCLUDED.version);
$$;

CREATE FUNCTION atelier_page_bump_workshop(wid bigint, aid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF aid IS NULL THEN
    SELECT artisan_id INTO aid FROM bookings_workshop WHERE id = wid;
  END IF;
  IF aid IS NOT NULL THEN
    PERFORM atelier_page_bump('a', aid);
  END IF;
  PERFORM atelier_page_bump('w', wid);
END $$;

CREATE FUNCTION atelier_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'bookings_artisan' THEN
    PERFORM atelier_page_bump('a', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    PERFORM atelier_page_bump('w', w.id) FROM bookings_workshop w
      WHERE w.artisan_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END ORDER BY w.id;
  ELSIF TG_TABLE_NAME = 'bookings_workshop' THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM atelier_page_bump_workshop(OLD.id, OLD.artisan_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM atelier_page_bump_workshop(NEW.id, NEW.artisan_id);
    END IF;
  ELSE  -- bookings_slot, bookings_tickettype
    IF TG_OP <> 'INSERT' THEN
      PERFORM atelier_page_bump_workshop(OLD.workshop_id, NULL);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.workshop_id <> OLD.workshop_id) THEN
      PERFORM atelier_page_bump_workshop(NEW.workshop_id, NULL);
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""
TABLES = ("bookings_artisan", "bookings_workshop", "bookings_tickettype", "bookings_slot")
POSTGRES_TRIGGER = """
CREATE CONSTRAINT TRIGGER {table}_page_version AFTER INSERT OR UPDATE OR DELETE ON {table}
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION atelier_page_changed();
"""
POSTGRES_DROP = """
DROP FUNCTION IF EXISTS atelier_page_changed() CASCADE;
DROP FUNCTION IF EXISTS atelier_page_bump_workshop(bigint, bigint);
DROP FUNCTION IF EXISTS atelier_page_bump(text, bigint);
"""

SQLITE_NOW = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
SQLITE_BUMP = (
    "INSERT INTO bookings_pageversion (kind, object_id, version) SELECT '{kind}', {id_expr}, "
    + SQLITE_NOW
    + " {source} ON CONFLICT (kind, object_id) DO UPDATE SET version = max(version + 1, excluded.version);"
)


def _sqlite_bumps(table: str, row: str, *, form: bool = True) -> list[str]:
    """The statements run for one row (`NEW` or `OLD`) of `table`: its artisan ("a"), its
    workshops ("w") and, unless `form` is false, their booking forms ("f", see 0014_form_version)."""
    kinds = ("w", "f") if form else ("w",)
    if table == "bookings_artisan":
        return [
            SQLITE_BUMP.format(kind="a", id_expr=f"{row}.id", source="WHERE true"),
            *(
                SQLITE_BUMP.format(kind=kind, id_expr="w.id", source=f"FROM bookings_workshop w WHERE w.artisan_id = {row}.id")
                for kind in kinds
            ),
        ]
    if table == "bookings_workshop":
        return [
            SQLITE_BUMP.format(kind="a", id_expr=f"{row}.artisan_id", source="WHERE true"),
            *(SQLITE_BUMP.format(kind=kind, id_expr=f"{row}.id", source="WHERE true") for kind in kinds),
        ]
    return [
        SQLITE_BUMP.format(kind="a", id_expr="w.artisan_id", source=f"FROM bookings_workshop w WHERE w.id = {row}.workshop_id"),
        *(SQLITE_BUMP.format(kind=kind, id_expr=f"{row}.workshop_id", source="WHERE true") for kind in kinds),
    ]


def _sqlite_triggers(table: str, columns: list[str]) -> list[str]:
    """A slot update that changes only `seats_taken` bumps "a" and "w" but not the form's "f"
    (a second trigger, `…_page_version_form`, bumps "f" when any other column changed)."""
    triggers = []
    seats_only_apart = table == "bookings_slot"
    for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        form = not (seats_only_apart and event == "UPDATE")
        body = " ".join(statement for row in rows for statement in _sqlite_bumps(table, row, form=form))
        triggers.append(f"CREATE TRIGGER {table}_page_version_{event.lower()} AFTER {event} ON {table} BEGIN {body} END;")
    if seats_only_apart:
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns if c != "seats_taken")
        body = " ".join(
            SQLITE_BUMP.format(kind="f", id_expr=f"{row}.workshop_id", source="WHERE true") for row in ("OLD", "NEW")
        )
        triggers.append(
            f"CREATE TRIGGER {table}_page_version_form AFTER UPDATE ON {table} WHEN {changed} BEGIN {body} END;"
        )
    return triggers


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
            for table in TABLES:
                cursor.execute(POSTGRES_TRIGGER.format(table=table))
        elif connection.vendor == "sqlite":
            for table in TABLES:
                # The columns as they are when the triggers are made (a later migration that
                # changes the table makes them again, see 0006_page_version_triggers_sqlite).
                columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
                for statement in _sqlite_triggers(table, columns):
                    cursor.execute(statement)
        else:
            raise NotImplementedError(f"page version triggers for {connection.vendor}")


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        else:
            for table in TABLES:
                for event in ("insert", "update", "delete", "form"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_page_version_{event}")


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0002_booking_devpayment'),
    ]

    operations = [
        migrations.CreateModel(
            name='PageVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=1)),
                ('object_id', models.BigIntegerField()),
                ('version', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id'), name='page_version_unique')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
