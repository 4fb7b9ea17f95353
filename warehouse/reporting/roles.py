"""The analyst's PostgreSQL role: SELECT on the `reporting` schema's views and nothing else.

Read-only by grants, not only by settings: the role owns nothing, may create nothing (not in
`public`, not temporary tables, not large objects), holds no privilege on the application's
tables and reads the views with the views' owner's rights. `default_transaction_read_only` and `statement_timeout`
are set as well, as a second fence and to keep a runaway query from hurting the application.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg2.extensions import encrypt_password

from warehouse.reporting.schema import SCHEMA, is_postgresql, reporting_settings_sync

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
TIMEOUT = re.compile(r"^\d+\s*(ms|s|min|h)?$")
# The functions that create a large object (server-side lo_import is superuser-only already).
LARGE_OBJECT_CREATORS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)")


class AnalystRoleError(Exception):
    """The role cannot be created as asked (bad name, a privileged role, not PostgreSQL)."""


@dataclass
class AnalystRole:
    name: str
    password: str
    created: bool
    database: str
    notes: list[str] = field(default_factory=list)


def _connection(using: str) -> BaseDatabaseWrapper:
    connection = connections[using]
    if not is_postgresql(connection):
        raise AnalystRoleError(
            f"analyst roles need PostgreSQL; the {using!r} database is {connection.vendor} "
            "(the embedded set-up has no reporting schema: use the dashboards)"
        )
    return connection


def analyst_role_create(
    *, name: str, password: str | None = None, statement_timeout: str | None = None, using: str = "default"
) -> AnalystRole:
    """Create the role, or bring an existing analyst role back to exactly these rights.

    Runs in one transaction: a failure leaves the role as it was.
    """
    connection = _connection(using)
    if not ROLE_NAME.match(name) or name.startswith("pg_"):
        raise AnalystRoleError(f"{name!r} is not a valid role name: lower-case letters, digits and _, not pg_...")
    timeout = statement_timeout or settings.REPORTING_ANALYST_STATEMENT_TIMEOUT
    if not TIMEOUT.match(timeout):
        raise AnalystRoleError(f"statement timeout {timeout!r} should look like 30s, 500ms or 2min")
    password = password or secrets.token_urlsafe(24)
    quote = connection.ops.quote_name
    role = quote(name)
    database = str(connection.settings_dict["NAME"])
    notes: list[str] = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == name:
            raise AnalystRoleError("refusing to turn the role this command connects as into an analyst role")
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles WHERE rolname = %s", [name]
        )
        row = cursor.fetchone()
        if row is not None and row[0]:
            raise AnalystRoleError(f"{name} is a privileged role; choose another name for the analyst")
        cursor.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", [SCHEMA])
        owner_row = cursor.fetchone()
        if owner_row is None:
            raise AnalystRoleError("the reporting schema does not exist: run `manage.py migrate` first")
        owner = owner_row[0]

        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
        # psycopg2 interpolates parameters on the client, so a utility statement takes one. The
        # server gets the SCRAM verifier, never the password itself (as psql's \password does):
        # a statement's text can reach the server log (log_statement = ddl, a failed statement).
        verifier = encrypt_password(password, name, connection.connection, "scram-sha-256")
        verb = "CREATE" if row is None else "ALTER"
        cursor.execute(f"{verb} ROLE {role} WITH {attributes} PASSWORD %s", [verifier])
        for setting, value in (
            ("statement_timeout", timeout),
            ("idle_in_transaction_session_timeout", "5min"),
            ("default_transaction_read_only", "on"),
            ("search_path", SCHEMA),
            ("timezone", settings.TIME_ZONE),
        ):
            cursor.execute(f"ALTER ROLE {role} SET {setting} = %s", [value])

        # Nothing but the reporting views. Revokes first, for a role that existed before.
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
        cursor.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
        cursor.execute(f"REVOKE ALL ON SCHEMA reporting_private FROM {role}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA reporting_private FROM {role}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {role}")
        cursor.execute(f"GRANT CONNECT ON DATABASE {quote(database)} TO {role}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {role}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {role}")
        # Views a later migration adds (created by the schema's owner) are readable at once.
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {SCHEMA} GRANT SELECT ON TABLES TO {role}"
        )

        # What every role gets through PUBLIC. PostgreSQL 15 no longer lets PUBLIC create in
        # `public`; older servers do, and temporary tables are allowed everywhere by default.
        # Revoking from PUBLIC leaves the database's owner (the application) its own rights.
        cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [name])
        if cursor.fetchone()[0]:
            cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            notes.append("revoked CREATE on schema public from PUBLIC (the database owner keeps it)")
        cursor.execute("SELECT has_database_privilege(%s, %s, 'TEMPORARY')", [name, database])
        if cursor.fetchone()[0]:
            cursor.execute(f"REVOKE TEMPORARY ON DATABASE {quote(database)} FROM PUBLIC")
            notes.append(f"revoked TEMPORARY on database {database} from PUBLIC (the database owner keeps it)")
        notes += _large_objects_forbid(cursor, name)
    reporting_settings_sync(connection=connection)
    problems = analyst_role_problems(name=name, using=using)
    if problems:
        raise AnalystRoleError("the role has more rights than it should: " + "; ".join(problems))
    return AnalystRole(name=name, password=password, created=row is None, database=database, notes=notes)


def _large_objects_forbid(cursor: Any, name: str) -> list[str]:
    """Take away what lets any role store data despite every grant above: large objects.

    Every role may create large objects (pg_largeobject) by default, read-only mode being the only
    fence, and the analyst may switch that off. The functions belong to the bootstrap superuser, so
    only a superuser can revoke them; anyone else gets a warning from PostgreSQL, and a note here.
    """
    creators = [f for f in LARGE_OBJECT_CREATORS if _can_execute(cursor, name, f)]
    if not creators:
        return []
    cursor.execute(f"REVOKE EXECUTE ON FUNCTION {', '.join(creators)} FROM PUBLIC")
    left = [f for f in creators if _can_execute(cursor, name, f)]
    if left:
        return [
            f"could not revoke EXECUTE ON FUNCTION {', '.join(left)} FROM PUBLIC (a superuser can): "
            "the analyst can still store large objects"
        ]
    return [f"revoked EXECUTE on {', '.join(creators)} from PUBLIC (large objects; superusers keep it)"]


def _can_execute(cursor: Any, name: str, function: str) -> bool:
    cursor.execute("SELECT has_function_privilege(%s, %s, 'EXECUTE')", [name, function])
    return bool(cursor.fetchone()[0])


def analyst_role_problems(*, name: str, using: str = "default") -> list[str]:
    """Everything the role can do beyond reading the reporting views (empty is right)."""
    connection = _connection(using)
    problems: list[str] = []
    database = str(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname || '.' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              AND n.nspname <> %s
              AND (has_table_privilege(%s, c.oid, 'SELECT') OR has_table_privilege(%s, c.oid, 'INSERT')
                   OR has_table_privilege(%s, c.oid, 'UPDATE') OR has_table_privilege(%s, c.oid, 'DELETE'))
            ORDER BY 1 LIMIT 20
            """,
            [SCHEMA, name, name, name, name],
        )
        problems += [f"can read or write {table}" for (table,) in cursor.fetchall()]
        cursor.execute(
            """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND (has_table_privilege(%s, c.oid, 'INSERT')
                  OR has_table_privilege(%s, c.oid, 'UPDATE') OR has_table_privilege(%s, c.oid, 'DELETE'))
            """,
            [SCHEMA, name, name, name],
        )
        problems += [f"can write {view}" for (view,) in cursor.fetchall()]
        for schema in ("public", SCHEMA, "reporting_private"):
            cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [name, schema])
            if cursor.fetchone()[0]:
                problems.append(f"can create objects in schema {schema}")
        cursor.execute("SELECT has_schema_privilege(%s, 'reporting_private', 'USAGE')", [name])
        if cursor.fetchone()[0]:
            problems.append("can see into reporting_private (the hash key)")
        cursor.execute("SELECT has_database_privilege(%s, %s, 'TEMPORARY')", [name, database])
        if cursor.fetchone()[0]:
            problems.append("can create temporary tables")
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication FROM pg_roles "
            "WHERE rolname = %s",
            [name],
        )
        row = cursor.fetchone()
        if row is None:
            problems.append("the role does not exist")
        elif row[0]:
            problems.append("the role has a privileged attribute")
    return problems


def analyst_role_drop(*, name: str, using: str = "default") -> bool:
    """Remove an analyst role: its grants in this database, then the role. False if it did not exist.

    Roles are cluster-wide: a role that also holds grants in another database must be cleaned
    there first (DROP OWNED BY in each), or DROP ROLE refuses.
    """
    connection = _connection(using)
    if not ROLE_NAME.match(name):
        raise AnalystRoleError(f"{name!r} is not a valid role name")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
        row = cursor.fetchone()
        if row is None:
            return False
        if row[0]:
            raise AnalystRoleError(f"{name} is a superuser, not an analyst role")
        role = connection.ops.quote_name(name)
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")
    return True
