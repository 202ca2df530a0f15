"""The data version of the cached fragments and kept pages (``portal.fragments``), on PostgreSQL a sequence:
every process that writes to the database bumps it, every process reads it (SQLite keeps it in the cache)."""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS kinlink_data_version")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS kinlink_data_version")


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_second_factors_recovery_codes_passkeys")]

    operations = [migrations.RunPython(create, drop)]
