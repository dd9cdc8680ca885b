"""The audit log is append-only, enforced by the database itself (not only by the application):
UPDATE is always refused; DELETE is refused unless the row is older than the retention period
(AUDIT_RETENTION_DAYS, so retention pruning works) or a row exists in `core_audit_purge_permit`.

The permit table is not a Django model, so `flush` never empties it. Production never writes to it: it
exists because the test runner flushes the database between transactional tests with DELETE on SQLite
(conftest.py inserts the permit into the test database only). On PostgreSQL the flush is a TRUNCATE,
which fires no row triggers.
"""

from django.db import migrations

RETENTION_DAYS = 365

SQLITE_FORWARD = [
    "CREATE TABLE IF NOT EXISTS core_audit_purge_permit (reason TEXT NOT NULL)",
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN OLD.at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-{RETENTION_DAYS} days')
            AND NOT EXISTS (SELECT 1 FROM core_audit_purge_permit)
       BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only: DELETE refused within retention'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
    "DROP TABLE IF EXISTS core_audit_purge_permit",
]

POSTGRES_FORWARD = [
    "CREATE TABLE IF NOT EXISTS core_audit_purge_permit (reason text NOT NULL)",
    f"""CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'core_auditentry is append-only: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.at >= now() - interval '{RETENTION_DAYS} days'
           AND NOT EXISTS (SELECT 1 FROM core_audit_purge_permit) THEN
            RAISE EXCEPTION 'core_auditentry is append-only: DELETE refused within retention' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
    "DROP TABLE IF EXISTS core_audit_purge_permit",
]


def _run(schema_editor, statements_by_vendor):
    vendor = schema_editor.connection.vendor
    if vendor not in statements_by_vendor:
        raise RuntimeError(f"no append-only triggers for database vendor {vendor!r}")
    for statement in statements_by_vendor[vendor]:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def backward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
