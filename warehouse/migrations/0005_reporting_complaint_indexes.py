"""Indexes the reporting rollups need on warehouse_complaint (issue 7).

The rollup job counts, per local day, the complaints resolved that day: without an index on
resolved_at that is a scan of the whole table for every day it recomputes. Built CONCURRENTLY on
PostgreSQL (so outside a transaction) so that it does not block writes on a large table.
"""

from django.db import migrations

INDEX = ("complaint_resolved_at", "resolved_at", "resolved_at IS NOT NULL")


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    name, columns, where = INDEX
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON warehouse_complaint ({columns}) WHERE {where}"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX[0]}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("warehouse", "0004_reporting_schema_v1")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
