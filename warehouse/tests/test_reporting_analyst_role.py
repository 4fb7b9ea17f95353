"""The analyst's role, over real connections as that role: it reads the reporting views, nothing else.

Roles are cluster-wide in PostgreSQL, so every test makes a role with a name of its own and drops
it afterwards. The data must be committed for the analyst's connection to see it, hence
transactional tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from warehouse.reporting.roles import analyst_role_drop, analyst_role_problems
from warehouse.reporting.schema import VIEWS
from warehouse.tests.reporting_helpers import complaint_make, message_record, rebuild

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="analyst roles are PostgreSQL roles"),
]

APP_TABLES = (
    "warehouse_complaint",
    "warehouse_complaintevent",
    "ingestion_message",
    "ingestion_rawevent",
    "auth_user",
    "django_session",
    "warehouse_rollup_daily_flow",
    "reporting_private.settings",
)


class Analyst:
    def __init__(self, name: str, password: str) -> None:
        self.name = name
        self.password = password
        self.connections: list[Any] = []

    def connect(self) -> Any:
        db = connection.settings_dict
        conn = psycopg2.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            dbname=db["NAME"],
            user=self.name,
            password=self.password,
        )
        conn.autocommit = True
        self.connections.append(conn)
        return conn

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect().cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        for conn in self.connections:
            conn.close()


def create_role(name: str, password: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("create_analyst_role", "--name", name, "--password", password, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def analyst(london) -> Iterator[Analyst]:  # type: ignore[no-untyped-def]
    complaint_make(
        received="2026-10-25T09:00",
        handle="+447700900123",
        phone="+44 7700 900123",
        email="ann@example.com",
        name="Ann Customer",
        text="Ring me on +44 7700 900123",
        responded_after=None,
    )
    message_record(received="2026-10-25T10:00")
    rebuild()
    name = f"analyst_t{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    create_role(name, password)
    role = Analyst(name, password)
    yield role
    role.close()
    analyst_role_drop(name=name)


def test_the_analyst_reads_every_reporting_view_over_a_real_connection(analyst: Analyst) -> None:
    for view in VIEWS:
        analyst.run(f"SELECT * FROM reporting.{view} LIMIT 5")
    [(masked, hashed)] = analyst.run("SELECT text_masked, customer_hash FROM complaints")  # search_path
    assert masked == "Ring me on [phone]" and len(hashed) == 64
    assert analyst.run("SELECT sum(complaints) FROM volume_daily") == [(1,)]
    assert analyst.run("SELECT current_user") == [(analyst.name,)]


WRITES = (
    "INSERT INTO reporting.categories (slug, name, description, is_active, position) VALUES ('x', 'x', '', true, 1)",
    "UPDATE reporting.daily_flow SET received = 0",
    "DELETE FROM reporting.volume_daily",
    "INSERT INTO public.warehouse_complaint (id) VALUES (gen_random_uuid())",
    "UPDATE public.warehouse_complaint SET status = 'resolved'",
    "DELETE FROM public.warehouse_complaint",
    "TRUNCATE public.warehouse_rollup_daily_flow",
)


def test_writes_fail_by_grants_even_with_read_only_mode_switched_off(analyst: Analyst) -> None:
    for statement in WRITES:
        conn = analyst.connect()
        with conn.cursor() as cursor:
            cursor.execute("SHOW default_transaction_read_only")
            assert cursor.fetchone() == ("on",)
            # The setting is only the first fence: the analyst may switch it off, the grants still hold.
            cursor.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM warehouse_complaint GROUP BY status")
        assert cursor.fetchall() == [("pending", 1)]


def test_application_tables_and_the_hash_key_cannot_be_read(analyst: Analyst) -> None:
    for table in APP_TABLES:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            analyst.run(f"SELECT * FROM {table if '.' in table else 'public.' + table} LIMIT 1")


def test_raw_personal_data_is_nowhere_the_analyst_can_reach(analyst: Analyst) -> None:
    seen = []
    for view in VIEWS:
        seen += [" ".join(map(str, row)) for row in analyst.run(f"SELECT * FROM reporting.{view}")]
    text = "\n".join(seen)
    for secret in ("+44", "900123", "ann@example.com", "Ann Customer"):
        assert secret not in text
    # Column statistics (most common values) of the application's tables are hidden too.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE warehouse_complaint")
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'warehouse_complaint'")
        assert cursor.fetchone()[0] > 0
    assert analyst.run("SELECT count(*) FROM pg_stats WHERE tablename = 'warehouse_complaint'") == [(0,)]


CREATES = (
    "CREATE TABLE public.mine (x int)",
    "CREATE TABLE reporting.mine (x int)",
    "CREATE TEMPORARY TABLE mine (x int)",
    "CREATE VIEW reporting.mine AS SELECT 1",
    "CREATE SCHEMA mine",
    "CREATE FUNCTION reporting.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    # Large objects are stored data too, and every role may create them by default.
    "SELECT lo_create(0)",
    "SELECT lo_creat(-1)",
    "SELECT lo_from_bytea(0, 'stored by an analyst')",
)


def test_the_analyst_can_create_nothing(analyst: Analyst) -> None:
    for statement in CREATES:
        conn = analyst.connect()
        with conn.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)


def test_the_role_has_no_right_beyond_the_reporting_views(analyst: Analyst) -> None:
    assert analyst_role_problems(name=analyst.name) == []


def test_a_statement_timeout_stops_runaway_queries(analyst: Analyst) -> None:
    create_role(analyst.name, analyst.password, "--statement-timeout", "300ms")
    conn = analyst.connect()
    with conn.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("300ms",)
        with pytest.raises(psycopg2.errors.QueryCanceled):
            cursor.execute("SELECT pg_sleep(2)")


def test_a_view_added_later_is_readable_through_default_privileges(analyst: Analyst) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW reporting.added_later AS SELECT day, source FROM reporting.volume_daily")
    try:
        assert analyst.run("SELECT source FROM reporting.added_later") == [("sms",)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP VIEW reporting.added_later")


def scram_matches(verifier: str, password: str) -> bool:
    """Check a SCRAM-SHA-256 verifier from pg_authid against a password (RFC 5802/7677)."""
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    stored_key, _ = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


def test_running_the_command_again_resets_the_password_and_the_rights(analyst: Analyst) -> None:
    # (This server trusts local connections, so the password is checked against its verifier.)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON warehouse_complaint TO {analyst.name}")  # a stray grant
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [analyst.name])
        assert scram_matches(cursor.fetchone()[0], analyst.password)
    output = create_role(analyst.name, "a-new-password")
    assert "reset" in output and "a-new-password" not in output
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [analyst.name])
        assert scram_matches(cursor.fetchone()[0], "a-new-password")
    analyst.password = "a-new-password"
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        analyst.run("SELECT * FROM public.warehouse_complaint")


def test_the_password_never_reaches_the_server_in_clear(london) -> None:  # type: ignore[no-untyped-def]
    name = f"analyst_t{uuid.uuid4().hex[:12]}"
    password = f"clear-{uuid.uuid4().hex}"
    try:
        with CaptureQueriesContext(connection) as sent:
            create_role(name, password)
        assert not [query["sql"] for query in sent.captured_queries if password in query["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [name])
            assert scram_matches(cursor.fetchone()[0], password)
    finally:
        analyst_role_drop(name=name)


def test_without_a_password_one_is_generated_and_shown_once(london) -> None:  # type: ignore[no-untyped-def]
    name = f"analyst_t{uuid.uuid4().hex[:12]}"
    out = io.StringIO()
    try:
        call_command("create_analyst_role", "--name", name, stdout=out)
        password = out.getvalue().split("password (shown once): ", 1)[1].split()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [name])
            assert scram_matches(cursor.fetchone()[0], password)
        assert f"user={name}" in out.getvalue()
    finally:
        analyst_role_drop(name=name)


def test_the_command_refuses_privileged_or_malformed_role_names() -> None:
    for name in ("postgres", "Robert'); DROP TABLE x;--", "pg_monitor", "1abc"):
        with pytest.raises(CommandError):
            call_command("create_analyst_role", "--name", name, "--password", "x", stdout=io.StringIO())


def test_drop_removes_the_role_and_its_grants(london) -> None:  # type: ignore[no-untyped-def]
    name = f"analyst_t{uuid.uuid4().hex[:12]}"
    create_role(name, "pw")
    call_command("create_analyst_role", "--name", name, "--drop", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_default_acl WHERE defaclacl::text LIKE %s", [f"%{name}%"])
        assert cursor.fetchone() == (0,)
