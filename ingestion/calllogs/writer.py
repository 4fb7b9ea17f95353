"""Writes batch N on a second thread while the caller reads and classifies batch N+1.

The classifier is CPU work; writing a batch is mostly waiting for PostgreSQL (psycopg2 releases
the GIL while it waits). Overlapping the two is what brings the job close to the classifier's own
throughput (docs/benchmarks.md). At most one batch is in flight, so memory stays bounded, and
results are handed back in batch order on the caller's thread.

The second thread has its own database connection, which cannot see the caller's uncommitted
rows: inside a transaction (a test, an admin action wrapped in atomic) and on SQLite (one writer
at a time) the writes run inline instead, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import connection, connections


class BatchWriter:
    def __init__(self, *, threaded: bool | None = None) -> None:
        if threaded is None:
            threaded = (
                settings.CALL_LOG_WRITER_THREAD and connection.vendor == "postgresql" and not connection.in_atomic_block
            )
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calllog-writer") if threaded else None
        self._in_flight: tuple[Future[Any], Callable[[Any], None]] | None = None

    @property
    def threaded(self) -> bool:
        return self._pool is not None

    def submit(self, work: Callable[[], Any], *, then: Callable[[Any], None]) -> None:
        """Run `work` (on the writer thread), then `then(result)` on this thread; waits for the previous batch."""
        if self._pool is None:
            then(work())
            return
        self.drain()
        self._in_flight = (self._pool.submit(work), then)

    def drain(self) -> None:
        """Wait for the batch in flight; its exception, if any, is raised here."""
        if self._in_flight is None:
            return
        future, then = self._in_flight
        self._in_flight = None
        then(future.result())

    def close(self) -> None:
        if self._pool is None:
            return
        if self._in_flight is not None:
            self._in_flight[0].exception()  # let a failing write finish before the thread goes
            self._in_flight = None
        # The writer thread's connection is its own: close it there, or it lingers until the process ends.
        self._pool.submit(connections.close_all).result()
        self._pool.shutdown(wait=True)
        self._pool = None

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
