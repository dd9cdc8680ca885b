"""PostgreSQL: the prefix indexes INCLUDE the column their expression reads, so that a directory search
is answered from the index alone (index-only scan). SQLite: unchanged."""

from django.db import migrations

REBUILT = ("name", "romaji", "email")


def forwards(apps, schema_editor):
    from kiban.org import search

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in REBUILT:
            cursor.execute(f"DROP INDEX IF EXISTS org_staff_prefix_{name}")
    search.install_prefix_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("org", "0003_staff_prefix_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
