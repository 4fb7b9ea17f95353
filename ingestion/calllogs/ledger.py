"""The ledger side of call-log files: one RawEvent per (inbox key, sha256), claimed by a lease.

- The event's primary key is derived from the inbox key and the file's sha256 (uuid5), so the
  database settles "processed once": two runs that find the same upload insert the same key and
  one of them loses; an identical re-upload maps onto the existing row.
- A run owns a file while its lease (`enqueued_at`, renewed after every batch) is fresh. A run
  that dies leaves the lease to expire; the next run takes the file over and resumes it (every
  write is idempotent, so "resume" is "run again").
- Call-log events are never handed to `ingestion.process_raw_event`: the sweeper skips them, and
  this job resumes them instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ingestion.models import RawEvent
from ingestion.sources import Source

PROVIDER = "call_log"
_NAMESPACE = uuid.UUID("6f1c1a52-3b0e-4d7e-9a51-0c2a4f7d9e10")


def event_id_for(*, inbox_key: str, sha256: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{inbox_key}\n{sha256}")


def call_log_events() -> QuerySet[RawEvent]:
    return RawEvent.objects.filter(source=Source.CALL_CENTER, provider=PROVIDER)


def call_log_event_seen(*, inbox_key: str, fingerprint: str) -> bool:
    """Has this exact upload (same key, same size and mtime/ETag) been recorded already?"""
    return call_log_events().filter(meta__inbox_key=inbox_key, meta__fingerprint=fingerprint).exists()


def call_log_event_note_fingerprint(*, event_id: uuid.UUID, fingerprint: str) -> None:
    """An identical re-upload: remember its fingerprint so the next scan need not hash it again."""
    with transaction.atomic():
        event = RawEvent.objects.select_for_update().filter(id=event_id).first()
        if event is not None and event.meta.get("fingerprint") != fingerprint:
            event.meta = {**event.meta, "fingerprint": fingerprint}
            event.save(update_fields=["meta"])


def call_log_event_create(
    *, event_id: uuid.UUID, lake_key: str, sha256: str, size: int, received_at: datetime, meta: dict[str, Any]
) -> RawEvent | None:
    """The ledger row, created already claimed by this run; None if another run recorded it first."""
    try:
        with transaction.atomic():
            return RawEvent.objects.create(
                id=event_id,
                source=Source.CALL_CENTER,
                provider=PROVIDER,
                lake_key=lake_key,
                sha256=sha256,
                size=size,
                content_type=meta.get("content_type", ""),
                meta=meta,
                received_at=received_at,
                status=RawEvent.Status.PROCESSING,
                attempts=1,
                enqueued_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _lease() -> timedelta:
    return timedelta(seconds=settings.CALL_LOG_LEASE_SECONDS)


def call_log_events_resumable(*, prefix: str = "", now: datetime | None = None) -> QuerySet[RawEvent]:
    """Files a run started and did not finish: failed (with attempts left), or lease expired."""
    now = now or timezone.now()
    events = call_log_events().filter(
        Q(status=RawEvent.Status.RECEIVED)
        | Q(status=RawEvent.Status.FAILED, attempts__lt=settings.CALL_LOG_MAX_ATTEMPTS)
        | Q(status=RawEvent.Status.PROCESSING, enqueued_at__lt=now - _lease())
    )
    if prefix:
        events = events.filter(meta__inbox_key__startswith=prefix.strip("/"))
    return events.order_by("received_at")


def call_log_event_claim(*, event: RawEvent, now: datetime | None = None) -> bool:
    """Take a resumable file over; False if another run holds it (conditional update)."""
    now = now or timezone.now()
    claimed = (
        RawEvent.objects.filter(id=event.id)
        .filter(
            Q(status=RawEvent.Status.RECEIVED)
            | Q(status=RawEvent.Status.FAILED)
            | Q(status=RawEvent.Status.PROCESSING, enqueued_at__lt=now - _lease())
        )
        .update(status=RawEvent.Status.PROCESSING, attempts=F("attempts") + 1, enqueued_at=now)
    )
    return bool(claimed)


def call_log_event_heartbeat(*, event: RawEvent, progress: dict[str, Any]) -> None:
    """Renew the lease and record how far the run got (visible in the admin)."""
    event.meta = {**event.meta, "progress": progress}
    RawEvent.objects.filter(id=event.id, status=RawEvent.Status.PROCESSING).update(
        enqueued_at=timezone.now(), meta=event.meta
    )


def call_log_event_finish(
    *,
    event: RawEvent,
    status: str,
    meta: dict[str, Any] | None = None,
    message_count: int | None = None,
    error: str = "",
) -> None:
    fields: dict[str, Any] = {"status": status, "error": error[:5000], "processed_at": timezone.now()}
    if meta is not None:
        event.meta = {**event.meta, **meta}
        fields["meta"] = event.meta
    if message_count is not None:
        fields["message_count"] = message_count
    RawEvent.objects.filter(id=event.id).update(**fields)


def call_log_event_release(*, event: RawEvent, error: str) -> None:
    """A transient failure (database, lake): hand the file back at once for the retry."""
    RawEvent.objects.filter(id=event.id, status=RawEvent.Status.PROCESSING).update(
        status=RawEvent.Status.RECEIVED, error=error[:5000]
    )
