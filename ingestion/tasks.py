"""Thin Celery tasks: ids in, one service call, at-least-once safe (ARCHITECTURE rule 4)."""

from __future__ import annotations

import logging

from celery import shared_task

from ingestion import batch, services
from ingestion.batch import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

__all__ = ["TRANSIENT_ERRORS", "process_raw_event", "sweep_stuck_raw_events"]  # TRANSIENT_ERRORS: re-exported


@shared_task(
    name="ingestion.process_raw_event",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def process_raw_event(self, raw_event_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    # The event and up to INGESTION_BATCH_SIZE - 1 others waiting, in one transaction
    # (ingestion/batch.py); at once if another worker's batch already holds this one.
    result = batch.raw_events_process_batch(raw_event_id=raw_event_id)
    return result.__dict__


@shared_task(name="ingestion.sweep_stuck_raw_events", soft_time_limit=50, time_limit=60)
def sweep_stuck_raw_events() -> int:
    return len(services.raw_events_sweep())


from ingestion import sms_concat_flush as _sms_concat_flush  # noqa: E402,F401  (registers ingestion.flush_incomplete_sms)
from ingestion.calllogs import tasks as _calllog_tasks  # noqa: E402,F401  (registers ingestion.ingest_call_logs)
