"""Thin Celery tasks of the warehouse: the reporting rollups (ARCHITECTURE rule 4)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from warehouse.reporting.rollups import rollups_requeue, rollups_update
from warehouse.reporting.timebuckets import internal_zone, local_day


@shared_task(
    name="warehouse.reporting_rollups_update",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def reporting_rollups_update() -> dict[str, object]:
    # One bounded pass (REPORTING_ROLLUP_MAX_DAYS_PER_RUN days); what is left waits in the queue.
    return rollups_update().__dict__


@shared_task(name="warehouse.reporting_rollups_requeue", soft_time_limit=50, time_limit=60)
def reporting_rollups_requeue() -> int:
    """Nightly: queue the recent days again, for writes that bypass the audited services."""
    today = local_day(timezone.now(), internal_zone())
    return rollups_requeue(since=today - timedelta(days=settings.REPORTING_NIGHTLY_REQUEUE_DAYS), until=today)
