"""The worker side, in batches: one task takes its own raw event and up to N others waiting.

`ingestion.process_raw_event(raw_event_id)` stays the interface (the edge, the sweeper and a
replay enqueue it), but under load most of a message's cost was per-event overhead: ~16 SQL
statements and 4-6 commits, each an fsync of PostgreSQL's WAL (docs/benchmarks.md, "End to
end"). Here a task claims its own event plus up to `INGESTION_BATCH_SIZE - 1` others still in
`received`, and handles them together in ONE transaction: the lake reads and adapters per event,
then one INSERT .. ON CONFLICT DO NOTHING of every message, one classifier batch (nlp.pipe), the
warehouse's bulk create, one UPDATE of the ledger rows. At low load the batch is the task's own
event alone: no waiting for a batch to fill, so no added latency. A task that found work then
keeps taking batches of waiting events for up to INGESTION_DRAIN_SECONDS (raw_events_process_batch
says why).

Ownership is the row lock. The claim is `SELECT .. FOR UPDATE SKIP LOCKED` inside the batch's
transaction, so while a batch runs its events are locked and:
- a task whose event another batch holds finds nothing to lock and returns at once (the batch
  that holds it finishes it, or rolls back and leaves it `received` for the next batch);
- two workers never process the same event at the same time; a finished event is `processed`
  (or `quarantined`, `failed`) and is never claimed again;
- a worker killed mid-batch loses its connection, PostgreSQL rolls the transaction back and the
  events are `received` again: the task is re-delivered (acks_late) or the sweeper re-enqueues.

Commits are asynchronous (`SET LOCAL synchronous_commit = off`, this transaction only). That is
safe here because everything a lost commit could lose is already durable elsewhere and is redone:
the raw bytes are in the lake (written with fsync) and the ledger row was committed by the edge
with a synchronous commit before the provider got its 2xx. If PostgreSQL crashes within the
~0.6 s (3 x wal_writer_delay) before the WAL reaches disk, the batch's effects vanish together
(one transaction): the events are back in `received`, and the sweeper or a replay processes them
again; every step is idempotent (UNIQUE (source, external_id) on messages, one complaint per
message). PostgreSQL itself stays consistent: an async commit can be lost, never half-applied.

Failure isolation: a malformed payload quarantines its own event, a missing lake object fails its
own event, both inside the batch as before. Any other exception rolls the batch back and it is
done again one event per transaction, so one poison event fails alone (marked `failed`, metric
and alert as a failed task) and the others go through. Transient errors (database, broker or lake
unreachable) are not caught: the task retries with backoff and the events wait in `received`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

import metrics
from classification.errors import ClassifierNotReady
from classification.services import classify_texts
from ingestion.adapters import InboundMessage
from ingestion.bulk import messages_insert, messages_route_bulk, messages_state
from ingestion.models import Message, RawEvent
from ingestion.pipeline import raw_event_parse
from lake import LakeObjectMissing, LakeUnavailable, get_lake

logger = logging.getLogger(__name__)

TASK_NAME = "ingestion.process_raw_event"
CALL_LOG_PROVIDER = "call_log"  # call-log files have their own job (ingestion/calllogs)
DEFAULT_BATCH_SIZE = 50
DEFAULT_DRAIN_SECONDS = 2.0

# Only errors that a later attempt can fix; the task retries on these (ingestion/tasks.py).
# ClassifierNotReady: a worker started before the first model was trained waits for it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    LakeUnavailable,
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    ClassifierNotReady,
)

Key = tuple[str, str]


@dataclass(frozen=True)
class BatchResult:
    events: int = 0  # claimed and finished by this call (0: another batch had the event, or it was done)
    messages: int = 0
    new_messages: int = 0
    complaints: int = 0
    filtered: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: bool = False  # the task's own event: gone, finished, or held by another batch
    one_by_one: bool = False  # the batch failed and was done again one event at a time


def batch_size() -> int:
    """INGESTION_BATCH_SIZE (settings; environment variable of the same name): events per batch."""
    return max(1, int(getattr(settings, "INGESTION_BATCH_SIZE", DEFAULT_BATCH_SIZE)))


def drain_seconds() -> float:
    """INGESTION_DRAIN_SECONDS (settings; environment variable of the same name): how long a task
    that found work keeps taking further batches of waiting events (0: one batch only)."""
    return max(0.0, float(getattr(settings, "INGESTION_DRAIN_SECONDS", DEFAULT_DRAIN_SECONDS)))


def raw_events_process_batch(
    *, raw_event_id: uuid.UUID | str, limit: int | None = None, drain_for: float | None = None
) -> BatchResult:
    """Process the event `raw_event_id` and up to `limit - 1` other waiting events, together; then,
    for up to `drain_for` seconds, further batches of waiting events while there are any.

    Why drain: every event has its own task, and under a backlog most of them only find their
    event done by an earlier batch. Without the loop, a new batch starts only when a task whose
    event is still waiting reaches the head of the queue, so throughput is capped by how fast
    Celery passes those empty tasks (about 2 ms of CPU each, plus the waits of a busy machine).
    With it, a worker that has work keeps going, and the empty tasks cost only their own time.
    """
    limit = batch_size() if limit is None else max(1, limit)
    # Under load most tasks find their event already done by another task's batch: one plain
    # read answers that, without a transaction and its row locks.
    status = RawEvent.objects.filter(id=raw_event_id).values_list("status", flat=True).first()
    if status is None or status in (RawEvent.Status.PROCESSED, RawEvent.Status.QUARANTINED):
        return BatchResult(skipped=True)
    result = _process(own_id=uuid.UUID(str(raw_event_id)), limit=limit)
    if result.skipped:
        return result
    deadline = time.monotonic() + (drain_seconds() if drain_for is None else drain_for)
    while time.monotonic() < deadline:
        more = _process(own_id=None, limit=limit)
        if not more.events:
            break
        result = _add(result, more)
    return result


def _add(a: BatchResult, b: BatchResult) -> BatchResult:
    return BatchResult(
        events=a.events + b.events,
        messages=a.messages + b.messages,
        new_messages=a.new_messages + b.new_messages,
        complaints=a.complaints + b.complaints,
        filtered=a.filtered + b.filtered,
        quarantined=a.quarantined + b.quarantined,
        failed=a.failed + b.failed,
        skipped=a.skipped,
        one_by_one=a.one_by_one or b.one_by_one,
    )


def _process(*, own_id: uuid.UUID | None, limit: int) -> BatchResult:
    """One batch: `own_id` (None: none, only waiting events) and the oldest waiting others."""
    claimed: list[uuid.UUID] = []
    try:
        return _batch(own_id=own_id, others=limit - 1 if own_id else limit, claimed=claimed)
    except TRANSIENT_ERRORS:
        raise  # nothing was committed; the task retries, the other events wait in `received`
    except Exception:
        if own_id is not None and len(claimed) <= 1:
            _count_attempt(claimed)
            raise  # the task fails as before: on_task_failure marks the event failed and alerts
        logger.exception("a batch of %d raw events failed; processing them one by one", len(claimed))
    if own_id is None:
        return _one_by_one(own_id=None, others=claimed)
    return _one_by_one(own_id=claimed[0], others=claimed[1:])


def _one_by_one(*, own_id: uuid.UUID | None, others: Sequence[uuid.UUID]) -> BatchResult:
    """After a failed batch: each event in its own transaction, so only a poison event fails."""
    totals = Counter[str]()
    own_error: Exception | None = None
    for event_id in [*others, *([own_id] if own_id else [])]:
        try:
            result = _batch(own_id=event_id, others=0, claimed=[])
        except TRANSIENT_ERRORS:
            if event_id == own_id:
                raise
            continue  # back in `received`: the next batch or the sweeper takes it
        except Exception as exc:
            _count_attempt([event_id])
            if event_id == own_id:
                own_error = exc  # raised below, after the others: the task's own failure path
                continue
            _other_failed(event_id, exc)
            totals["failed"] += 1
            continue
        for name in ("events", "messages", "new_messages", "complaints", "filtered", "quarantined", "failed"):
            totals[name] += getattr(result, name)
    if own_error is not None:
        raise own_error
    return BatchResult(
        events=totals["events"],
        messages=totals["messages"],
        new_messages=totals["new_messages"],
        complaints=totals["complaints"],
        filtered=totals["filtered"],
        quarantined=totals["quarantined"],
        failed=totals["failed"],
        one_by_one=True,
    )


def _count_attempt(ids: Sequence[uuid.UUID]) -> None:
    """A rolled-back batch took its attempt count with it: count the attempt that failed."""
    if ids:
        RawEvent.objects.filter(id__in=ids).update(attempts=F("attempts") + 1)


def _other_failed(event_id: uuid.UUID, exc: Exception) -> None:
    """What a failed task does for its event (monitoring/celery_hooks.on_task_failure), for an event
    whose own task already returned because this batch had claimed it."""
    from ingestion.replay import raw_event_mark_failed
    from monitoring.alerts import alert_task_failed

    error = f"{type(exc).__name__}: {exc}"
    logger.error("raw event %s failed in a batch: %s", event_id, error, exc_info=exc)
    raw_event_mark_failed(raw_event_id=event_id, error=error)
    metrics.record_task_failure(task=TASK_NAME)
    alert_task_failed(task_name=TASK_NAME, task_id="", args=[str(event_id)], exc=exc)


def _claim(*, own_id: uuid.UUID | None, others: int) -> list[RawEvent]:
    """Lock the task's own event (unless finished or held) and up to `others` waiting ones.
    Without `own_id`, only waiting ones (a task draining the backlog)."""
    ids: list[uuid.UUID] = []
    if own_id is not None:
        ids = list(
            RawEvent.objects.select_for_update(skip_locked=True)
            .filter(id=own_id)
            .exclude(status__in=(RawEvent.Status.PROCESSED, RawEvent.Status.QUARANTINED))
            .values_list("id", flat=True)
        )
        if not ids:
            return []
    if others > 0:
        # Oldest first; served by the (status, received_at) index. SKIP LOCKED: rows another
        # batch holds are passed over, never waited for.
        ids += list(
            RawEvent.objects.select_for_update(skip_locked=True)
            .filter(status=RawEvent.Status.RECEIVED)
            .exclude(provider=CALL_LOG_PROVIDER)
            .exclude(id__in=ids)
            .order_by("received_at")
            .values_list("id", flat=True)[:others]
        )
    if not ids:
        return []
    events = {e.id: e for e in RawEvent.objects.filter(id__in=ids)}
    return [events[i] for i in ids if i in events]


def _batch(*, own_id: uuid.UUID | None, others: int, claimed: list[uuid.UUID]) -> BatchResult:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Why this is safe: the module docstring (lake and ledger durable, steps idempotent).
                cursor.execute("SET LOCAL synchronous_commit = off")
        events = _claim(own_id=own_id, others=others)
        claimed.extend(e.id for e in events)
        if not events:
            return BatchResult(skipped=True)
        return _handle(events)


def _handle(events: Sequence[RawEvent]) -> BatchResult:
    lake = get_lake()
    outcome: dict[uuid.UUID, tuple[str, str, int]] = {}  # id -> (status, error, message count)
    parsed: list[tuple[RawEvent, InboundMessage]] = []
    for event in events:
        try:
            body = lake.read(event.lake_key)  # LakeUnavailable propagates: the task retries
        except LakeObjectMissing:
            # The ledger points at nothing: keep the row, say so loudly, never invent data.
            logger.error("raw event %s: lake object %s is missing", event.id, event.lake_key)
            outcome[event.id] = (RawEvent.Status.FAILED, f"lake object missing: {event.lake_key}", 0)
            continue
        # A malformed payload is quarantined and alerted at once, as the per-event path does;
        # alerts are throttled per reason, so a batch rolled back and done again does not mail twice.
        inbound, malformed = raw_event_parse(event=event, body=body)
        if malformed:
            outcome[event.id] = (RawEvent.Status.QUARANTINED, malformed, 0)
            continue
        outcome[event.id] = (RawEvent.Status.PROCESSED, "", len(inbound))
        parsed.extend((event, item) for item in inbound)

    new_messages, complaints, filtered = _messages(parsed)
    _ledger_finish(outcome)
    statuses = Counter(status for status, _, _ in outcome.values())
    return BatchResult(
        events=len(events),
        messages=len(parsed),
        new_messages=new_messages,
        complaints=complaints,
        filtered=filtered,
        quarantined=statuses[RawEvent.Status.QUARANTINED],
        failed=statuses[RawEvent.Status.FAILED],
    )


def _messages(parsed: Sequence[tuple[RawEvent, InboundMessage]]) -> tuple[int, int, int]:
    """Record, classify and route every message of the batch. (new, complaints, filtered)"""
    if not parsed:
        return 0, 0, 0
    # The first copy of a message wins (a re-delivery in the same batch is a duplicate). Sorted by
    # key: concurrent batches insert in the same order, so they wait for each other, never deadlock.
    first: dict[Key, tuple[RawEvent, InboundMessage]] = {}
    for event, item in parsed:
        first.setdefault((item.source, item.external_id), (event, item))
    keys = sorted(first)
    fresh, inserted = messages_insert(
        items={k: first[k][1] for k in keys}, events={k: first[k][0] for k in keys}, textless_unclassified=False
    )
    pending = [fresh[k] for k in keys if fresh[k].id in inserted]
    # Stored before, never routed (an earlier run of the per-event path that was interrupted).
    stored = messages_state([k for k in keys if fresh[k].id not in inserted])
    resumed = [row["id"] for row in stored.values() if row["status"] == Message.Status.NEW]
    if resumed:
        again = Message.objects.filter(id__in=resumed, status=Message.Status.NEW)
        pending.extend(again.order_by("source", "external_id"))
    if pending:
        predictions = classify_texts([m.text for m in pending])
        complaints, filtered = messages_route_bulk(pairs=list(zip(pending, predictions, strict=True)))
    else:
        complaints = filtered = 0

    # Metrics as the per-event path counts them: every new message, every duplicate by provider.
    new_ids = {fresh[k].id for k in keys} & inserted
    received = Counter[tuple[str, str]]()
    duplicates = Counter[str]()
    seen: set[Key] = set()
    for event, item in parsed:
        key = (item.source, item.external_id)
        if key not in seen and fresh[key].id in new_ids:
            received[(item.source, item.channel)] += 1
        else:
            duplicates[event.provider] += 1
        seen.add(key)
    for (source, channel), count in received.items():
        metrics.record_message_received(source=source, channel=channel, count=count)
    for provider, count in duplicates.items():
        metrics.REJECTED.labels(source=provider, reason="duplicate").inc(count)
    return len(new_ids), complaints, filtered


def _ledger_finish(outcome: dict[uuid.UUID, tuple[str, str, int]]) -> None:
    """One UPDATE for every event of the batch: status, error, message count, the attempt."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        for event_id, (status, error, count) in outcome.items():
            RawEvent.objects.filter(id=event_id).update(
                status=status, error=error[:5000], message_count=count, processed_at=now,
                attempts=F("attempts") + 1,
            )  # fmt: skip
        return
    table = RawEvent._meta.db_table
    params: list[Any] = []
    for event_id, (status, error, count) in outcome.items():
        params += [str(event_id), status, error[:5000], count]
    values = ", ".join(["(%s::uuid, %s, %s, %s::integer)"] * len(outcome))
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name comes from the model; every value is a bound parameter.
            f"UPDATE {table} AS e SET status = v.status, error = v.error, message_count = v.message_count, "  # noqa: S608
            "processed_at = %s, attempts = e.attempts + 1 "
            f"FROM (VALUES {values}) AS v(id, status, error, message_count) WHERE e.id = v.id",
            [now, *params],
        )
