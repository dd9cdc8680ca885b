"""Alcohol-check records are legal records: once written, the database refuses to change them (a mistake
is corrected by recording a new check). Deleting is left to the retention job, which deletes only records
older than a year (kiban.booking.fleet.prune_alcohol_checks)."""

from __future__ import annotations

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER booking_alcoholcheck_no_update BEFORE UPDATE ON booking_alcoholcheck "
    "BEGIN SELECT RAISE(ABORT, 'alcohol checks are append-only'); END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION booking_alcoholcheck_refuse_update() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'alcohol checks are append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER booking_alcoholcheck_no_update BEFORE UPDATE ON booking_alcoholcheck "
    "FOR EACH ROW EXECUTE FUNCTION booking_alcoholcheck_refuse_update()",
]
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS booking_alcoholcheck_no_update"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS booking_alcoholcheck_no_update ON booking_alcoholcheck",
        "DROP FUNCTION IF EXISTS booking_alcoholcheck_refuse_update()",
    ],
}


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_no_overlap")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
