"""`search_text` now also holds the person's romaji in canonical form (kiban.core.text.canonical_romaji), so
that Satou, Takahasi or Oono find Sato, Takahashi and Ono. Recompute it for every row; the search index
follows (SQLite triggers on `search_text`, the PostgreSQL GIN expression)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from kiban.accounts.models import Staff as CurrentStaff

    Staff = apps.get_model("accounts", "Staff")
    changed = []
    for person in Staff.objects.only(
        "id",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "romaji",
        "username",
        "extension",
        "email",
        "mobile",
        "search_text",
        "sort_key",
    ).iterator(chunk_size=2000):
        before = person.search_text
        # The model's own method, applied to the historical row: it only reads and sets plain fields.
        CurrentStaff.refresh_search_fields(person)
        if person.search_text != before:
            changed.append(person)
    Staff.objects.bulk_update(changed, ["search_text", "sort_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("org", "0004_prefix_indexes_index_only")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
