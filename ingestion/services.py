"""Ingestion's writes: accept a delivery at the edge, and the sweeper's re-enqueue."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.broker import publish_process_raw_event, publish_process_raw_events
from ingestion.group_commit import GroupCommit
from ingestion.models import RawEvent
from lake import LakeObject, get_lake, raw_key

logger = logging.getLogger(__name__)


def raw_event_receive(
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
) -> RawEvent:
    """Lake first, then the ledger row, then enqueue on commit (ARCHITECTURE rules 1 and 2).

    Raises lake.LakeUnavailable before anything is recorded: the view answers 503 and the
    provider retries. `lake_object` is for callers that wrote the bytes themselves.
    """
    event_id = event_id or uuid.uuid4()
    received_at = received_at or timezone.now()
    if lake_object is None:
        key = raw_key(source, received_at, event_id, ext)
        lake_object = get_lake().write(key, body, content_type=content_type or None)
    # One INSERT needs no explicit transaction: in autocommit it is committed when it returns, in
    # one round trip instead of three (BEGIN, INSERT, COMMIT; measured in docs/benchmarks.md).
    # Inside a caller's transaction, on_commit still waits for that transaction to commit.
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
    enqueued = ledger_insert(values, enqueue=True)
    event = RawEvent(**values)
    event._state.adding = False  # it is in the database now, as if loaded from it
    if not enqueued:
        transaction.on_commit(lambda: raw_event_enqueue(raw_event_id=event.id))
    return event


@dataclass(frozen=True)
class _LedgerInsert:
    sql: str  # up to "VALUES ": the rows' placeholders follow
    row: str  # one row's placeholders
    supplied: tuple[Any, ...]  # the fields the caller gives values for, in the statement's order
    defaults: tuple[Any, ...]  # the other columns' defaults, already prepared for the database


@lru_cache(maxsize=1)
def _ledger_insert_statement() -> _LedgerInsert:
    """The INSERT for a RawEvent, built once per process from the model's own fields, so a column
    added to the model later is not forgotten here (a default is taken from the field)."""
    fields = RawEvent._meta.concrete_fields
    quote = connection.ops.quote_name
    given = [f for f in fields if f.attname in _SUPPLIED]
    others = [f for f in fields if f.attname not in _SUPPLIED]
    columns = ", ".join(quote(f.column) for f in [*given, *others])
    placeholders = ", ".join(["%s"] * (len(given) + len(others)))
    # Identifiers from the model's own metadata, values as parameters: nothing from a request.
    sql = f"INSERT INTO {quote(RawEvent._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    return _LedgerInsert(sql=sql, row=f"({placeholders})", supplied=tuple(given), defaults=defaults)


# What raw_event_receive gives; every other column takes its model default.
_SUPPLIED = frozenset(
    {
        "id",
        "source",
        "provider",
        "lake_key",
        "sha256",
        "size",
        "content_type",
        "headers",
        "meta",
        "received_at",
        "enqueued_at",
    }
)


def ledger_insert(values: dict[str, Any], *, enqueue: bool = False) -> bool:
    """The ledger row by a plain INSERT: the ORM's create() cost twice the CPU for the same
    statement (docs/benchmarks.md). Committed on return in autocommit, like create().

    In autocommit, concurrent requests of this process share one multi-row INSERT (group
    commit, ingestion/group_commit.py) and, with `enqueue`, one LPUSH of their tasks after it;
    True then: the task was published (or left for the sweeper). Inside a caller's transaction
    the row is inserted at once on the caller's connection and commits with that transaction;
    False: the caller enqueues on commit.
    """
    statement = _ledger_insert_statement()
    # Each value prepared by its field for this database, as the ORM would: a UUID, a datetime and
    # JSON are bound differently by PostgreSQL and by SQLite (the embedded default of `make run`).
    params = [field.get_db_prep_save(values[field.attname], connection) for field in statement.supplied]
    item = ([*params, *statement.defaults], values["id"] if enqueue else None)
    if connection.in_atomic_block or not getattr(settings, "LEDGER_GROUP_COMMIT", True):
        _ledger_insert_rows([item])
        return False
    _ledger_group().submit(item)
    return enqueue


def _ledger_insert_rows(items: list[Sequence[Any]]) -> None:
    statement = _ledger_insert_statement()
    sql = statement.sql + ", ".join([statement.row] * len(items))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row, _ in items for value in row])


def _ledger_enqueue_committed(items: list[Sequence[Any]]) -> None:
    """After a group's INSERT: the tasks of the rows that asked for one, in one LPUSH."""
    event_ids = [str(event_id) for _, event_id in items if event_id is not None]
    if not event_ids:
        return
    try:
        publish_process_raw_events(event_ids)
    except Exception as exc:  # kombu/redis connection errors vary by transport
        logger.warning("broker unavailable, raw events %s left for the sweeper: %s", ", ".join(event_ids), exc)


@lru_cache(maxsize=1)
def _ledger_group() -> GroupCommit:
    return GroupCommit(_ledger_insert_rows, after_commit=_ledger_enqueue_committed)


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
