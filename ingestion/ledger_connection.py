"""The accept group's database connection: one per process, used by one flush at a time.

Django keeps a connection per thread, and under gevent's monkey-patching (the webhook server,
complaintsite/green.py) per greenlet. The group's flush runs on whichever request arrived first,
so in a gevent worker each flush would open a connection of its own (a new PostgreSQL backend)
and leave it to the garbage collector. The group commit runs one flush at a time per process:
one connection serves them all, in a gthread worker too (two backends for the accept path of a
2-worker server instead of one per thread).

It is a connection of Django's own making for the default database (same parameters, same
initialisation, the same exception classes), in autocommit: a statement is committed when it
returns. Before each statement the connection's socket is looked at (no round trip): an idle
connection has nothing to read, so anything readable is the server saying goodbye (a restart, a
terminated backend) or the end of the stream, and a new connection is made first, as Django's
health check does for its own connections at each request. An error that may have cut it
mid-statement closes it; that flush fails (its callers answer 503 and the providers retry) and
the next one connects again.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_lock = threading.Lock()  # the group serialises its flushes; this guards against two groups
_wrapper: BaseDatabaseWrapper | None = None
_pid = 0
# A connection inherited over fork belongs to the parent: closing it in the child would end the
# parent's session on their shared socket, so it is kept, never used, never closed.
_inherited: list[BaseDatabaseWrapper] = []


def execute(sql: str, params: Sequence[Any]) -> None:
    """Run one statement on the process's connection; committed on return (autocommit)."""
    with _lock:
        wrapper = _connection()
        try:
            with wrapper.cursor() as cursor:
                cursor.execute(sql, params)
        except (OperationalError, InterfaceError):
            _close_locked()
            raise


def backend_pid() -> int | None:
    """The PostgreSQL backend serving this process's connection, if open (for tests)."""
    with _lock:
        if _wrapper is None or _wrapper.connection is None or _pid != os.getpid():
            return None
        return int(_wrapper.connection.info.backend_pid)


def close() -> None:
    """Close this process's connection (tests, shutdown); the next statement reconnects."""
    with _lock:
        _close_locked()


def _connection() -> BaseDatabaseWrapper:
    global _wrapper, _pid
    if _wrapper is not None and _pid != os.getpid():
        _inherited.append(_wrapper)
        _wrapper = None
    if _wrapper is not None and _closed_by_the_server(_wrapper):
        _close_locked()
    if _wrapper is None:
        wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
        # Flushes run on whichever thread (or greenlet) leads: Django checks that a connection
        # stays on the thread that made it unless told it is shared.
        wrapper.inc_thread_sharing()
        _wrapper, _pid = wrapper, os.getpid()
    return _wrapper


def _closed_by_the_server(wrapper: BaseDatabaseWrapper) -> bool:
    connection = wrapper.connection
    fileno = getattr(connection, "fileno", None)  # psycopg2; SQLite has no socket to look at
    if connection is None or fileno is None:
        return False  # not connected yet (the cursor connects), or nothing to look at
    try:
        readable, _, _ = select.select([fileno()], [], [], 0)
    except Exception:  # psycopg2's InterfaceError once closed, OSError for a dead descriptor
        return True
    return bool(readable)


def _close_locked() -> None:
    global _wrapper
    if _wrapper is None or _pid != os.getpid():
        return
    wrapper, _wrapper = _wrapper, None
    try:
        wrapper.close()
    except Exception:  # noqa: S110  (a connection already cut may fail to close: it is gone either way)
        pass
    wrapper.dec_thread_sharing()
