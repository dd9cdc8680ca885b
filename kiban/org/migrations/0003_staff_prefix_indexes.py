"""B-tree indexes for the first step of a directory search: prefix ranges on reading, name, romaji, email
and extension (kiban.org.search.search_staff_ids)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kiban.org import search

    search.install_prefix_indexes(schema_editor.connection)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in ("reading", "name", "romaji", "email", "extension"):
            cursor.execute(f"DROP INDEX IF EXISTS org_staff_prefix_{name}")


class Migration(migrations.Migration):
    dependencies = [("org", "0002_staff_search_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
