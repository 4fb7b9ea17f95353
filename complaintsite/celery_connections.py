"""Database connections in Celery workers: kept across tasks, the way Django keeps them across requests.

Celery's Django fixup (celery/fixups/django.py, 5.5 and later) calls `close()` on every database
connection before and after each task unless CELERY_DB_REUSE_MAX is set. With one task per raw
event that was a new PostgreSQL connection per event: a server backend forked, authenticated and
torn down, 100 times a second at 100 messages/s. In the end-to-end benchmark a fifth of a worker
process's samples sat in `psycopg2.connect` (docs/benchmarks.md, "End to end").

So the settings give CELERY_DB_REUSE_MAX (the fixup then closes only every that many tasks), and
`connections_like_a_request` runs around each task what Django runs around a request,
`close_old_connections()`: a connection older than CONN_MAX_AGE, one with errors that is no longer
usable, or one left outside autocommit is closed; a kept one is health-checked on its first use
in the task (CONN_HEALTH_CHECKS), so a PostgreSQL restart costs one reconnect, not a failed task.
Eager tasks (tests, CELERY_TASK_ALWAYS_EAGER) run inside the caller's request or transaction and
are left alone, as the fixup leaves them.
"""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun


def connections_like_a_request(sender: Any = None, **_: Any) -> None:
    request = getattr(sender, "request", None)
    if getattr(request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


def install() -> None:
    task_prerun.connect(connections_like_a_request, weak=False, dispatch_uid="complaintsite.db.prerun")
    task_postrun.connect(connections_like_a_request, weak=False, dispatch_uid="complaintsite.db.postrun")
