"""No double booking on PostgreSQL: an exclusion constraint over the time range of every booking that
holds a slot. SQLite has no exclusion constraints; there `actions.reserve` checks and inserts while holding
the write lock (IMMEDIATE transactions), so this migration does nothing on SQLite."""

from __future__ import annotations

from django.db import migrations

EXTENSION = "CREATE EXTENSION IF NOT EXISTS btree_gist"
CREATE = """
ALTER TABLE booking_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (
    resource_id WITH =,
    tstzrange(start, "end", '[)') WITH &&
) WHERE (status IN ('confirmed', 'pending'))
"""
DROP = "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EXTENSION)
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
