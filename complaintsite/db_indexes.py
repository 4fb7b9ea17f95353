"""Indexes that cost every INSERT and serve no query, found and dropped.

Django gives each indexed or unique CharField on PostgreSQL a second, `varchar_pattern_ops` index
(`..._like`) for `LIKE 'prefix%'` look-ups. This project runs none on its own columns (the text
search has its own GIN index), and on the hottest tables (the ledger at every accepted delivery,
messages and complaints at every processed one) each extra index is another B-tree to update
per row. Likewise a plain index whose columns lead a wider plain index of the same table adds
nothing the wider one cannot do.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# The project's own tables: every app's table name starts with its label.
PROJECT_TABLE_PREFIXES = ("ingestion_", "warehouse_", "classification_", "agents_", "monitoring_")

_INDEXES_SQL = """
SELECT c.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, x.indexprs IS NOT NULL, am.amname,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord),
       pg_get_indexdef(x.indexrelid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE ANY (%s)
"""


def pattern_ops_indexes(cursor: Any, tables: tuple[str, ...] | None = None) -> list[str]:
    """Names of the `varchar_pattern_ops` indexes on `tables` (default: the project's tables)."""
    return [index.name for index in _indexes(cursor, tables) if "pattern_ops" in index.definition]


def redundant_indexes(cursor: Any, tables: tuple[str, ...] | None = None) -> list[str]:
    """Each index that serves no query another index of its table does not serve better, with why."""
    indexes = _indexes(cursor, tables)
    found = [f"{index.table}.{index.name}: LIKE-prefix index" for index in indexes if "pattern_ops" in index.definition]
    plain = [index for index in indexes if index.plain and "pattern_ops" not in index.definition]
    for narrow in plain:
        if narrow.unique:
            continue  # a constraint, not only an access path
        for wide in plain:
            if (
                wide is not narrow
                and wide.table == narrow.table
                and wide.columns[: len(narrow.columns)] == narrow.columns
            ):
                # Longer, or the same columns under a constraint, or a plain copy (one of two reported).
                if len(wide.columns) > len(narrow.columns) or wide.unique or wide.name < narrow.name:
                    found.append(f"{narrow.table}.{narrow.name}: its columns lead {wide.name}")
                    break
    return found


class _Index:
    def __init__(self, row: tuple[Any, ...]) -> None:
        self.table, self.name, self.unique, partial, expressions, method, self.columns, self.definition = row
        self.columns = list(self.columns)
        self.plain = method == "btree" and not partial and not expressions


def _indexes(cursor: Any, tables: tuple[str, ...] | None) -> list[_Index]:
    patterns = list(tables) if tables else [f"{prefix}%" for prefix in PROJECT_TABLE_PREFIXES]
    cursor.execute(_INDEXES_SQL, [patterns])
    return [_Index(row) for row in cursor.fetchall()]


def drop_pattern_ops_indexes(*tables: str) -> migrations.RunPython:
    """A migration step: drop the LIKE-prefix indexes Django made on `tables` (PostgreSQL only;
    SQLite has none). Django drops such an index with IF EXISTS when it alters the field later."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            names = pattern_ops_indexes(cursor, tables)
        for name in names:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
