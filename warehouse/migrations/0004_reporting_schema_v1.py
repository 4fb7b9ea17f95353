"""The analysts' `reporting` schema, version 1 (warehouse/reporting/sql/reporting_v1.sql).

PostgreSQL only: SQLite has neither schemas nor roles, so there the step logs a note and does
nothing; the dashboards read the rollup tables (0003) on both.
"""

import logging

from django.db import migrations

from warehouse.reporting.schema import reporting_settings_sync, schema_sql_apply

logger = logging.getLogger("warehouse.migrations")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        logger.info(
            "reporting schema skipped on %s: it exists on PostgreSQL only; dashboards read the rollup tables",
            schema_editor.connection.vendor,
        )
        return
    schema_sql_apply(schema_editor=schema_editor, filename="reporting_v1.sql")
    reporting_settings_sync(connection=schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP SCHEMA IF EXISTS reporting CASCADE")
    schema_editor.execute("DROP SCHEMA IF EXISTS reporting_private CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0003_reporting_rollup_tables"),
        ("classification", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
