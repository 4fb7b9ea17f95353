"""Group commit for ledger rows: concurrent requests of one process share one multi-row INSERT.

Each gthread worker runs many requests at once, and each of them commits one RawEvent row. Here
the first request to arrive while no INSERT is in flight becomes the leader: it takes every row
queued so far and inserts them in one statement, on its own connection, in autocommit (one
round trip, one WAL flush). Rows that arrive meanwhile wait for that statement to finish, then
the first of them leads the next one. There is no timer: at low load every row goes alone and
waits for nobody; under load a batch is whatever queued during the previous flush.

Every caller returns only after the statement that carried its row has committed, and gets
that statement's exception if it failed: a 200 is never sent for a row that is not durable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

Row = Sequence[Any]
InsertRows = Callable[[list[Row]], None]


class _Batch:
    __slots__ = ("done", "error", "rows")

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """One per process (and per kind of row); `insert_rows` runs on the leader's thread."""

    def __init__(self, insert_rows: InsertRows) -> None:
        self.insert_rows = insert_rows
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
        with self._cond:
            batch.done = True
            self._flushing = False
            self.batch_sizes = [*self.batch_sizes[-63:], len(batch.rows)]
            self._cond.notify_all()
        if batch.error is not None:
            raise batch.error
