"""Cooperative waits for the webhook server's gevent workers (complaintsite/gunicorn_webhooks.py).

Why a gevent worker for the webhooks: an accept waits for the disk, PostgreSQL and Redis, and
in a gthread worker every such wait hands the interpreter lock to another thread and queues to
take it back; under load those hand-offs, not the work, were most of an accept's cost
(docs/benchmarks.md, webhook section). In a gevent worker a wait is a switch in the event loop,
and every request in flight in the process joins the next accept group.

gunicorn's gevent worker monkey-patches the standard library (sockets, locks, thread-locals)
before it loads the application, so Redis and the group commit's locks already give way to the
event loop. Two waits do not go through the standard library and are handed over here:
psycopg2's (libpq in C: a wait callback makes it poll and let the loop wait) and the lake's
fsyncs (lake/fsync_batch.py: an eventfd the loop waits on). Without them each would stop every
request of the process for the length of the wait.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Make psycopg2 and the lake's fsyncs wait through gevent's loop (once per worker)."""
    import psycopg2.extensions
    from gevent.socket import wait_read

    from lake import fsync_batch

    psycopg2.extensions.set_wait_callback(_psycopg2_wait)
    fsync_batch.set_cooperative_wait(wait_read)


def _psycopg2_wait(conn: Any, timeout: float | None = None) -> None:
    # psycopg2's documented protocol for green threads: poll, and wait for what poll asks for.
    import psycopg2.extensions
    from gevent.socket import wait_read, wait_write

    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            wait_read(conn.fileno(), timeout=timeout)
        elif state == psycopg2.extensions.POLL_WRITE:
            wait_write(conn.fileno(), timeout=timeout)
        else:
            raise psycopg2.OperationalError(f"unexpected state from poll(): {state}")
