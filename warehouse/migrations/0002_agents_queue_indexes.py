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

FACETS = ("source", "channel", "category", "assigned_to_id", "status")


def _include(*keys: str) -> str:
    return ", ".join(c for c in FACETS if c not in keys)


# (name, key columns, INCLUDE columns, WHERE). The INCLUDE columns are the other filters: a count
# such as "open, source = sms, channel = whatsapp" is then answered from the index alone (an
# index-only scan that checks channel in the index entry) instead of one heap visit per entry.
BTREE = [
    ("complaint_q_open", "urgent, received_at, id", _include(), OPEN),
    ("complaint_q_source", "source, urgent, received_at, id", _include("source"), OPEN),
    ("complaint_q_channel", "channel, urgent, received_at, id", _include("channel"), OPEN),
    ("complaint_q_category", "category, urgent, received_at, id", _include("category"), OPEN),
    ("complaint_q_assignee", "assigned_to_id, urgent, received_at, id", _include("assigned_to_id"), OPEN),
    ("complaint_q_status", "status, urgent, received_at, id", _include("status"), ""),
    # An agent's own closed complaints (the only closed ones an agent sees).
    (
        "complaint_q_assignee_closed",
        "assigned_to_id, status, urgent, received_at, id",
        _include("assigned_to_id", "status"),
        CLOSED,
    ),
]
SEARCH = (
    "complaint_q_search",
    "USING gin (to_tsvector('english'::regconfig, customer_handle || ' ' || customer_name || ' ' || text))",
)


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    for name, columns, include, where in BTREE:
        condition = f" WHERE {where}" if where else ""
        covering = f" INCLUDE ({include})" if postgres and include else ""  # SQLite has no INCLUDE
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON warehouse_complaint ({columns}){covering}{condition}"
        )
    if postgres:
        name, spec = SEARCH
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON warehouse_complaint {spec}")


def drop(apps, schema_editor):
    for name, *_ in BTREE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH[0]}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("warehouse", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
