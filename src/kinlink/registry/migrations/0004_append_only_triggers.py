"""Claims, their retractions and audit entries are append-only in the database itself.

On PostgreSQL a row trigger refuses UPDATE and DELETE on those tables (TRUNCATE, which the test
suite's teardown uses, stays possible). SQLite, the embedded single-user database, keeps the check
in the models' managers only: its test teardown empties tables with DELETE.
"""

from django.db import migrations

TABLES = ("registry_claim", "registry_claimretraction", "registry_auditentry")

FUNCTION = """
CREATE OR REPLACE FUNCTION kinlink_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'kinlink: % on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # no placeholders: the % are plpgsql format markers
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kinlink_refuse_change()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS kinlink_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_claim_retraction_case_records"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
