"""Indexes for the agents' queue and API (issue 6), built without locking the table on PostgreSQL.

The queue reads open complaints in (urgent, received_at, id) order, one urgent value at a time
(warehouse.selectors.complaint_queue_page), so every index ends with those three columns and
starts with the column a single filter pins. They are partial on the open statuses, which keeps
them a fraction of the table's size; the status index is whole because supervisors page through
resolved and dismissed complaints too. The GIN index serves the word search; its expression
must match warehouse.selectors.SEARCH_DOCUMENT exactly.

CREATE INDEX CONCURRENTLY needs a migration outside a transaction (atomic = False) and does not
exist on SQLite, where plain indexes are made and the word search falls back to LIKE.
"""

from django.db import migrations

OPEN = "status IN ('pending', 'in_progress')"
CLOSED = "status IN ('resolved', 'dismissed')"

BTREE = [
    ("complaint_q_open", "urgent, received_at, id", OPEN),
    ("complaint_q_source", "source, urgent, received_at, id", OPEN),
    ("complaint_q_channel", "channel, urgent, received_at, id", OPEN),
    ("complaint_q_category", "category, urgent, received_at, id", OPEN),
    ("complaint_q_assignee", "assigned_to_id, urgent, received_at, id", OPEN),
    ("complaint_q_status", "status, urgent, received_at, id", ""),
    # An agent's own closed complaints (the only closed ones an agent sees).
    ("complaint_q_assignee_closed", "assigned_to_id, status, urgent, received_at, id", CLOSED),
]
SEARCH = (
    "complaint_q_search",
    "USING gin (to_tsvector('english'::regconfig, customer_handle || ' ' || customer_name || ' ' || text))",
)


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    for name, columns, where in BTREE:
        condition = f" WHERE {where}" if where else ""
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON warehouse_complaint ({columns}){condition}"
        )
    if postgres:
        name, spec = SEARCH
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON warehouse_complaint {spec}")


def drop(apps, schema_editor):
    for name, _, _ in BTREE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH[0]}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("warehouse", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
