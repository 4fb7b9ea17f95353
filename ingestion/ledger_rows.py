"""The ledger's INSERT for the accept path: one statement for a whole group's rows, built once per
process from RawEvent's own fields, so that a column added to the model later is not forgotten
here (it takes its model default).

On PostgreSQL the group's rows travel as one JSON document, which the server expands over the
table's own row type (`json_populate_recordset`): psycopg2 quoting each of a 14-row group's 224
values one by one cost about 380 µs of CPU in the web process, every flush; one `json.dumps` of
the same rows costs a fraction of that (docs/benchmarks.md). Each value is first made what the
ORM would send (checked against `Model.objects.create` in the tests): a UUID or a datetime as
its text, JSON as JSON. Elsewhere (SQLite for `make run`), or for a field type this does not
know, a multi-row VALUES list with each value prepared by its field.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection, models

from ingestion.models import RawEvent

# What raw_event_accept gives; every other column takes its model default.
SUPPLIED = frozenset(
    {
        "id",
        "source",
        "provider",
        "lake_key",
        "sha256",
        "size",
        "content_type",
        "headers",
        "meta",
        "received_at",
        "enqueued_at",
    }
)

Row = list[Any] | dict[str, Any]


@dataclass(frozen=True)
class LedgerInsert:
    as_json: bool  # one JSON parameter for all rows (PostgreSQL), or a VALUES list
    head: str  # JSON: the whole statement; VALUES: up to "VALUES ", the rows' placeholders follow
    row: str  # VALUES: one row's placeholders
    columns: tuple[str, ...]  # every column, the supplied ones first (JSON: a row's keys)
    supplied: tuple[Any, ...]  # the fields the caller gives values for, in the statement's order
    prepare: tuple[Callable[[Any], Any], ...]  # one per supplied field: its value as sent
    defaults: tuple[Any, ...]  # the other columns' defaults, already prepared

    def params(self, values: dict[str, Any]) -> Row:
        """One row, each value prepared as this statement sends it."""
        prepared = [prepare(values[f.attname]) for f, prepare in zip(self.supplied, self.prepare, strict=True)]
        if self.as_json:
            return dict(zip(self.columns, [*prepared, *self.defaults], strict=True))
        return [*prepared, *self.defaults]

    def sql(self, count: int) -> str:
        return self.head if self.as_json else self.head + ", ".join([self.row] * count)

    def statement_params(self, rows: Sequence[Row]) -> list[Any]:
        if self.as_json:
            return [json.dumps(rows, ensure_ascii=False, separators=(",", ":"))]
        return [value for row in rows for value in row]  # type: ignore[union-attr]


@lru_cache(maxsize=1)
def ledger_insert_statement() -> LedgerInsert:
    fields = RawEvent._meta.concrete_fields
    quote = connection.ops.quote_name
    given = [f for f in fields if f.attname in SUPPLIED]
    others = [f for f in fields if f.attname not in SUPPLIED]
    everything = [*given, *others]
    table = quote(RawEvent._meta.db_table)
    columns = ", ".join(quote(f.column) for f in everything)
    as_json = connection.vendor == "postgresql" and all(_json_value(f) is not None for f in everything)
    # Identifiers from the model's own metadata, values as parameters: nothing from a request.
    if as_json:
        head = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s)"  # noqa: S608
        prepare = tuple(_json_value(f) for f in given)
        defaults = tuple(_json_value(f)(f.get_default()) for f in others)  # type: ignore[misc]
    else:
        head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        prepare = tuple(_db_value(f) for f in given)
        defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    return LedgerInsert(
        as_json=as_json,
        head=head,
        row="(" + ", ".join(["%s"] * len(everything)) + ")",
        columns=tuple(f.column for f in everything),
        supplied=tuple(given),
        prepare=prepare,  # type: ignore[arg-type]
        defaults=defaults,
    )


def _json_value(field: Any) -> Callable[[Any], Any] | None:
    """How a value of this field goes into the JSON rows: what PostgreSQL's input for the
    column's type reads as the ORM's own parameter. None: a field this does not know."""
    kind = type(field)
    if kind is models.JSONField:
        # The ORM sends json.dumps(value, cls=encoder); a custom encoder is the VALUES path's job.
        return (lambda value: value) if field.encoder is None else None
    if kind is models.UUIDField:
        return lambda value: None if value is None else str(value)
    if kind is models.DateTimeField:
        return lambda value: _datetime_text(field, value)
    if kind in (models.CharField, models.TextField):
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    if kind in (models.PositiveBigIntegerField, models.PositiveIntegerField, models.IntegerField):
        return lambda value: value
    return None


def _datetime_text(field: Any, value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # A naive datetime: the field makes it aware (with its warning) as it would on save.
        value = field.get_db_prep_save(value, connection)
    return value.isoformat()


# On PostgreSQL (psycopg2 with Django's adapters) these fields' get_db_prep_save hands a value of
# the type raw_event_accept gives (str, int, UUID, aware datetime) to the driver unchanged.
_PASSED_AS_IS_ON_POSTGRESQL = (
    models.CharField,
    models.PositiveBigIntegerField,
    models.UUIDField,
    models.DateTimeField,
)


def _db_value(field: Any) -> Callable[[Any], Any]:
    """How one supplied column's value is bound in a VALUES list, decided once per process."""
    if connection.vendor == "postgresql":
        if isinstance(field, models.JSONField):
            encoder = field.encoder
            return lambda value: connection.ops.adapt_json_value(value, encoder)
        if type(field) in _PASSED_AS_IS_ON_POSTGRESQL:
            return lambda value: value
    # Elsewhere (SQLite for `make run`: UUIDs as hex, datetimes as text), the field's own way.
    return lambda value: field.get_db_prep_save(value, connection)
