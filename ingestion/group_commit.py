"""Group commit for ledger rows: concurrent requests of one process share one multi-row INSERT.

Each gthread worker runs many requests at once, and each of them commits one RawEvent row. Here
the first request to arrive while no INSERT is in flight becomes the leader: it takes every row
queued so far and inserts them in one statement, on its own connection, in autocommit (one
round trip, one WAL flush); with an `after_commit` step it then publishes the rows' tasks in one
LPUSH. Rows that arrive meanwhile wait for that statement to finish, then the first of them
leads the next one. There is no timer: at low load every row goes alone and waits for nobody;
under load a batch is whatever queued during the previous flush.

Every caller returns only after the statement that carried its row has committed, and gets
that statement's exception if it failed: a 200 is never sent for a row that is not durable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

Row = Sequence[Any]
InsertRows = Callable[[list[Row]], None]

logger = logging.getLogger(__name__)


class _Batch:
    __slots__ = ("done", "error", "rows")

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """One per process (and per kind of row); `insert_rows` runs on the leader's thread."""

    def __init__(self, insert_rows: InsertRows, *, after_commit: InsertRows | None = None) -> None:
        self.insert_rows = insert_rows
        # Run by the leader once the rows are committed, before anyone returns (the accept
        # path's single LPUSH of the group's tasks); it must log its own failures, not raise.
        self.after_commit = after_commit
        self._cond = threading.Condition()
        self._open: _Batch | None = None  # rows waiting for the next statement
        self._flushing = False
        self.batch_sizes: list[int] = []  # the last few, for tests and the benchmark's notes

    def submit(self, row: Row) -> None:
        """Return once `row` is committed; raise what its statement raised."""
        with self._cond:
            # A batch holds at most one row per thread of the process (16 with the documented
            # gunicorn settings): no cap needed.
            batch = self._open
            if batch is None:
                batch = self._open = _Batch()
            batch.rows.append(row)
            while not batch.done:
                if not self._flushing and self._open is batch:
                    self._flushing = True
                    self._open = None
                    break  # this thread leads the batch
                self._cond.wait()
            else:
                if batch.error is not None:
                    raise batch.error
                return
        try:
            self.insert_rows(batch.rows)
        except BaseException as exc:
            batch.error = exc
        else:
            if self.after_commit is not None:
                try:
                    self.after_commit(batch.rows)
                except Exception:  # the rows are committed: their callers succeed regardless
                    logger.exception("after-commit step of a group commit failed")
        with self._cond:
            batch.done = True
            self._flushing = False
            self.batch_sizes = [*self.batch_sizes[-63:], len(batch.rows)]
            self._cond.notify_all()
        if batch.error is not None:
            raise batch.error
