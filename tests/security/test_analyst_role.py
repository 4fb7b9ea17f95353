"""The analyst's PostgreSQL role cannot write anywhere: every table, view and sequence, tried for real.

The reporting tests try a sample of writes and inspect the catalog with the reporting code's own
query; this cross-check takes the list of relations from the catalog and attempts every kind of
write on each one over the analyst's own connection, so a table added by a later migration is
covered too.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import call_command
from django.db import connection

from warehouse.reporting.roles import analyst_role_drop

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the role must be committed to be seen by its own connection
    pytest.mark.skipif(connection.vendor != "postgresql", reason="analyst roles are PostgreSQL roles"),
]


@pytest.fixture
def analyst() -> Iterator[psycopg2.extensions.connection]:
    name, password = f"h9_analyst_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    call_command("create_analyst_role", "--name", name, "--password", password, stdout=io.StringIO())
    db = connection.settings_dict
    conn = psycopg2.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"], user=name, password=password
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
        analyst_role_drop(name=name)


def relations() -> list[tuple[str, str, str, str]]:
    """(schema, name, kind, first column) of every user relation in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname, c.relname, c.relkind,
                   (SELECT a.attname FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
            ORDER BY 1, 2
            """
        )
        return [(s, r, k, col or "") for s, r, k, col in cursor.fetchall()]


def writes(schema: str, name: str, kind: str, column: str) -> list[str]:
    rel = f'"{schema}"."{name}"'
    if kind == "S":
        return [f"SELECT nextval('{rel}')", f"SELECT setval('{rel}', 1)"]
    statements = [f"INSERT INTO {rel} DEFAULT VALUES", f"DELETE FROM {rel}"]
    if column:
        statements.append(f'UPDATE {rel} SET "{column}" = "{column}"')
    if kind in ("r", "p"):
        statements.append(f"TRUNCATE {rel}")
    if kind == "m":
        statements = [f"REFRESH MATERIALIZED VIEW {rel}"]
    return statements


def test_the_analyst_role_can_write_to_no_relation_in_the_database(analyst) -> None:
    found = relations()
    assert any(s == "reporting" for s, *_ in found) and any(r == "warehouse_complaint" for _, r, *_ in found)
    allowed: list[str] = []
    tried = 0
    with analyst.cursor() as cursor:
        # Switch the read-only default off: what must stop every write is the grants.
        cursor.execute("SET default_transaction_read_only = off")
        for schema, name, kind, column in found:
            for statement in writes(schema, name, kind, column):
                tried += 1
                try:
                    cursor.execute(statement)
                except psycopg2.errors.InsufficientPrivilege:
                    continue
                except (psycopg2.errors.ObjectNotInPrerequisiteState, psycopg2.errors.FeatureNotSupported):
                    continue  # a view that is not updatable at all: no write can happen through it
                except psycopg2.Error as exc:  # any other refusal is not the grants doing their job
                    allowed.append(f"{statement}: {type(exc).__name__}")
                    continue
                allowed.append(statement)
    assert tried > 50
    assert allowed == []


def test_the_analyst_can_create_no_table_of_its_own(analyst) -> None:
    with analyst.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = off")
        for statement in (
            "CREATE TABLE public.h9_probe (x int)",
            "CREATE TABLE reporting.h9_probe (x int)",
            "CREATE TEMPORARY TABLE h9_probe (x int)",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)
