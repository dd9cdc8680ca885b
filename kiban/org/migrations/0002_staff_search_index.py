"""The directory search index (kiban.org.search): FTS5 + triggers on SQLite, a GIN expression index on
PostgreSQL. The SQL lives in kiban.org.search so that the post-migrate check can re-create it."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kiban.org import search

    search.install_index(schema_editor.connection)
    search.rebuild_index(schema_editor.connection)


def backwards(apps, schema_editor):
    from kiban.org import search

    search.uninstall_index(schema_editor.connection)


class Migration(migrations.Migration):
    # CREATE INDEX on PostgreSQL and the FTS5 fill on SQLite both run inside the migration transaction.
    dependencies = [
        ("accounts", "0001_initial"),
        ("org", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
