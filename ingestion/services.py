"""Ingestion's writes: accept a delivery at the edge, and the sweeper's re-enqueue."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ingestion import ledger_connection
from ingestion.broker import publish_process_raw_event, publish_process_raw_events
from ingestion.group_commit import GroupCommit
from ingestion.ledger_rows import Row, ledger_insert_statement
from ingestion.models import RawEvent
from lake import LakeObject, StagedObject, commit_staged, get_lake, raw_key

logger = logging.getLogger(__name__)


def raw_event_receive(**accept: Any) -> RawEvent:
    """`raw_event_accept(**accept)`, and the accepted row as a RawEvent (the web form shows its
    reference); same arguments, same errors."""
    event = RawEvent(**raw_event_accept(**accept))
    event._state.adding = False  # it is in the database now, as if loaded from it
    return event


def raw_event_accept(
    *,
    source: str,
    provider: str,
    body: bytes,
    ext: str,
    content_type: str = "",
    headers: Mapping[str, str] | None = None,
    meta: dict[str, Any] | None = None,
    event_id: uuid.UUID | None = None,
    received_at: datetime | None = None,
    lake_object: LakeObject | None = None,
) -> dict[str, Any]:
    """Lake first, then the ledger row, then enqueue on commit (ARCHITECTURE rules 1 and 2).

    Returns the ledger row's values (what a webhook answers with needs no model instance).
    Raises lake.LakeUnavailable before anything is recorded: the view answers 503 and the
    provider retries. `lake_object` is for callers that wrote the bytes themselves.

    In autocommit, concurrent requests of this process are accepted as a group (group commit,
    ingestion/group_commit.py): each thread stages its bytes in the lake, then one of them makes
    the group's objects durable, inserts the group's ledger rows in one statement and pushes
    their tasks in one LPUSH, in that order, before any of them returns. Inside a caller's
    transaction the row is inserted at once on the caller's connection, commits with that
    transaction, and the task is enqueued on commit.
    """
    event_id = event_id or uuid.uuid4()
    received_at = received_at or timezone.now()
    grouped = not connection.in_atomic_block and getattr(settings, "LEDGER_GROUP_COMMIT", True)
    staged: StagedObject | None = None
    if lake_object is None:
        key = raw_key(source, received_at, event_id, ext)
        if grouped:
            staged = get_lake().stage(key, body, content_type=content_type or None)
            lake_object = staged.obj
        else:
            lake_object = get_lake().write(key, body, content_type=content_type or None)
    values = {
        "id": event_id,
        "source": source,
        "provider": provider,
        "lake_key": lake_object.key,
        "sha256": lake_object.sha256,
        "size": lake_object.size,
        "content_type": content_type[:200],
        "headers": dict(headers or {}),
        "meta": meta or {},
        "received_at": received_at,
        "enqueued_at": received_at,
    }
    if grouped:
        try:
            params = _ledger_params(values)
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
        _accept_group().submit(_Accept(params=params, event_id=event_id, staged=staged))
    else:
        ledger_insert(values)
        transaction.on_commit(lambda: raw_event_enqueue(raw_event_id=event_id))
    return values


@dataclass(frozen=True)
class _Accept:
    """One delivery in an accept group: its ledger row's values and its staged lake object."""

    params: Row  # its ledger row, prepared (ingestion/ledger_rows.py)
    event_id: uuid.UUID
    staged: StagedObject | None  # None: the caller wrote the lake object itself


def _accept_batch(items: list[_Accept]) -> list[BaseException | None]:
    """The group's flush, in the order of rules 1 and 2: lake objects durable, then the rows
    committed, then the tasks published. One outcome per delivery (None: accepted)."""
    staged = [item.staged for item in items if item.staged is not None]
    lake_outcomes = iter(commit_staged(staged))
    outcomes: list[BaseException | None] = [next(lake_outcomes) if item.staged is not None else None for item in items]
    in_lake = [item for item, outcome in zip(items, outcomes, strict=True) if outcome is None]
    if not in_lake:
        return outcomes
    try:
        _ledger_insert_rows([item.params for item in in_lake])
    except Exception as exc:
        # The bytes are in the lake but the ledger could not record them: each caller answers
        # 503 and the provider retries (replay_lake finds the lake copy if no retry comes).
        return [exc if outcome is None else outcome for outcome in outcomes]
    try:
        publish_process_raw_events([str(item.event_id) for item in in_lake])
    except Exception as exc:  # kombu/redis connection errors vary by transport
        ids = ", ".join(str(item.event_id) for item in in_lake)
        logger.warning("broker unavailable, raw events %s left for the sweeper: %s", ids, exc)
    return outcomes


@lru_cache(maxsize=1)
def _accept_group() -> GroupCommit:
    return GroupCommit(_accept_batch)


def ledger_insert(values: dict[str, Any]) -> None:
    """The ledger row by a plain INSERT, at once on this thread's connection: the ORM's create()
    cost twice the CPU for the same statement (docs/benchmarks.md). Committed on return in
    autocommit, like create(); inside a transaction, with it."""
    statement = ledger_insert_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql(1), statement.statement_params([statement.params(values)]))


def _ledger_params(values: dict[str, Any]) -> Row:
    # Prepared on the request's own thread, before it joins the group (ingestion/ledger_rows.py).
    return ledger_insert_statement().params(values)


def _ledger_insert_rows(rows: list[Row]) -> None:
    """The group's rows in one statement, on the process's own connection (the flush runs on
    whichever thread or greenlet leads: ingestion/ledger_connection.py); committed on return."""
    statement = ledger_insert_statement()
    ledger_connection.execute(statement.sql(len(rows)), statement.statement_params(rows))


def raw_event_enqueue(*, raw_event_id: uuid.UUID) -> bool:
    """Publish the processing task. A broker outage is logged, not raised: the sweeper retries."""
    try:
        # Straight to Redis when the broker is Redis (ingestion/broker.py), else apply_async.
        publish_process_raw_event(str(raw_event_id))
    except Exception as exc:  # kombu/redis connection errors vary by transport
        logger.warning("broker unavailable, raw event %s left for the sweeper: %s", raw_event_id, exc)
        return False
    return True


def raw_events_sweep(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Re-enqueue events stuck in `received` (or abandoned in `processing`) past the grace period.

    The conditional update on `enqueued_at` means two sweepers running at once enqueue an event
    once; a task that runs twice anyway does no harm (rule 3).
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.SWEEPER_GRACE_SECONDS)
    # A task that has been `processing` this long lost its worker (time limit is far shorter).
    abandoned = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    # Call-log files are not for process_raw_event: their own job resumes them (ingestion/calllogs).
    stale = (
        RawEvent.objects.filter(
            Q(status=RawEvent.Status.RECEIVED, received_at__lt=now - grace)
            & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - grace))
            | Q(status=RawEvent.Status.PROCESSING, enqueued_at__lt=now - abandoned)
        )
        .exclude(provider="call_log")
        .values_list("id", "enqueued_at")[:1000]
    )
    swept: list[uuid.UUID] = []
    for event_id, enqueued_at in stale:
        claimed = RawEvent.objects.filter(id=event_id, enqueued_at=enqueued_at).update(enqueued_at=now)
        if claimed and raw_event_enqueue(raw_event_id=event_id):
            swept.append(event_id)
    if swept:
        logger.warning("sweeper re-enqueued %d raw events", len(swept))
    if stale:
        from monitoring.alerts import alert_stuck_events

        alert_stuck_events(found=len(stale), requeued=len(swept))
    return swept
