"""PostgreSQL: TRUNCATE fires no row trigger, so migration 0002 did not stop `TRUNCATE core_auditentry`.
A statement trigger refuses it unless the purge permit exists (the test database only, see 0002).
SQLite has no TRUNCATE."""

from django.db import migrations

FORWARD = [
    """CREATE OR REPLACE FUNCTION core_auditentry_no_truncate() RETURNS trigger AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM core_audit_purge_permit) THEN
            RAISE EXCEPTION 'core_auditentry is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_no_truncate()""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_no_truncate()",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditentry_append_only")]

    operations = [migrations.RunPython(forward, backward)]
