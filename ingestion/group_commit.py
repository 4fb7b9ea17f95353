"""Group commit for the accept path: concurrent requests of one process share one flush.

Each gthread worker runs many requests at once, and each of them must make its delivery durable
(lake object, ledger row) and queue its task before it answers. Here the first request to arrive
while no flush is in flight becomes the leader: it takes every item queued so far and flushes
them together on its own thread (for the accept path: the group's lake objects synced and named,
one multi-row INSERT in autocommit, one LPUSH). Items that arrive meanwhile wait; when the flush
ends, the first of them is woken to lead the next one. There is no timer: at low load every item
goes alone and waits for nobody; under load a batch is whatever queued during the previous flush.

Each waiting thread sleeps on a lock of its own and is woken exactly once, either with its
outcome or to lead: under load a shared condition would wake every waiter at every flush, and
with the GIL each needless wake-up costs CPU the accept path does not have.

Every caller returns only after the flush that carried its item has finished, and raises that
item's error if it had one: a 200 is never sent for a row that is not durable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

Item = Any
# Flushes a batch; returns one outcome per item (None: done), or None when all are done. An
# exception raised by the flush is every item's outcome.
Flush = Callable[[list[Item]], Sequence[BaseException | None] | None]

logger = logging.getLogger(__name__)


class _Waiter:
    __slots__ = ("error", "item", "lead", "wake")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.wake = threading.Lock()
        self.wake.acquire()  # released once: outcome set, or asked to lead
        self.lead = False
        self.error: BaseException | None = None


class GroupCommit:
    """One per process (and per kind of item); `flush` runs on the leader's thread."""

    def __init__(self, flush: Flush) -> None:
        self.flush = flush
        self._mutex = threading.Lock()
        self._queue: list[_Waiter] = []  # items waiting for the next flush
        self._flushing = False
        self.batch_sizes: list[int] = []  # the last few, for tests and the benchmark's notes

    @property
    def flushing(self) -> bool:
        return self._flushing

    def queued(self) -> int:
        """Items waiting for the next flush (for tests)."""
        return len(self._queue)

    def submit(self, item: Item) -> None:
        """Return once `item` is flushed; raise the error its flush gave it."""
        me = _Waiter(item)
        with self._mutex:
            # At most one item per thread of the process (16 with the documented gunicorn
            # settings) can be queued: no cap needed.
            self._queue.append(me)
            leading = not self._flushing
            self._flushing = True
        if not leading:
            me.wake.acquire()
            leading = me.lead
        if leading:
            self._lead()
        if me.error is not None:
            raise me.error

    def _lead(self) -> None:
        with self._mutex:
            batch, self._queue = self._queue, []
        try:
            outcomes = self.flush([waiter.item for waiter in batch])
        except BaseException as exc:
            outcomes = [exc] * len(batch)
        if outcomes is None:
            outcomes = [None] * len(batch)
        elif len(outcomes) != len(batch):
            error = RuntimeError(f"group flush gave {len(outcomes)} outcomes for {len(batch)} items")
            logger.error("%s", error)
            outcomes = [error] * len(batch)
        for waiter, outcome in zip(batch, outcomes, strict=True):
            waiter.error = outcome
        with self._mutex:
            self.batch_sizes = [*self.batch_sizes[-63:], len(batch)]
            following = self._queue[0] if self._queue else None
            if following is None:
                self._flushing = False
            else:
                following.lead = True  # the flag stays up: the next leader is already chosen
        for waiter in batch:
            # The leader's own lock too (it is not waiting on it): every lock is held until here.
            waiter.wake.release()
        if following is not None:
            following.wake.release()
