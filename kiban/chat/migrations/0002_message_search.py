"""The message search index (kiban.chat.search): FTS5 + triggers on SQLite; a GIN expression index over
the normalised body's bigrams on PostgreSQL. The SQL lives in kiban.chat.search so that the post-migrate
check can re-create it after a table rebuild."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kiban.chat import search

    search.install_index(schema_editor.connection)
    search.rebuild_index(schema_editor.connection)


def backwards(apps, schema_editor):
    from kiban.chat import search

    search.uninstall_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
