"""An index for analysts' questions about the open backlog (issue 7).

"How many complaints are open, per source and category?" on reporting.complaints reads the open
rows only; without this index each of them is a random heap read (tens of thousands at a million
complaints). Partial on the open statuses and holding both columns, it answers by an index-only
scan. Built CONCURRENTLY on PostgreSQL, so outside a transaction.
"""

from django.db import migrations

INDEX = ("complaint_open_source_category", "source, category", "status IN ('pending', 'in_progress')")


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    name, columns, where = INDEX
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON warehouse_complaint ({columns}) WHERE {where}"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX[0]}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("warehouse", "0005_reporting_complaint_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
