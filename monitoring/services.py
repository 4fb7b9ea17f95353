"""Monitoring's writes: heartbeats, scheduled jobs' runs, and the check for late jobs."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

import metrics
from monitoring.alerts import admin_link, alert_job_late, alert_quarantined, alert_send, normalise
from monitoring.models import Heartbeat, JobStatus

logger = logging.getLogger(__name__)


def heartbeat_record(
    *,
    component: str,
    instance: str,
    pid: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Upsert the component's row: the UNIQUE key makes concurrent first beats safe."""
    now = now or timezone.now()
    fields: dict[str, Any] = {"last_seen": now, "pid": pid, "detail": detail or {}}
    if Heartbeat.objects.filter(component=component, instance=instance).update(**fields):
        return
    try:
        with transaction.atomic():
            Heartbeat.objects.create(component=component, instance=instance, **fields)
    except IntegrityError:  # another process created it first: ours is just as fresh
        Heartbeat.objects.filter(component=component, instance=instance).update(**fields)


def job_sent(*, task_name: str, now: datetime | None = None) -> None:
    _job_update(task_name, last_sent_at=now or timezone.now())


def job_started(*, task_name: str, now: datetime | None = None) -> None:
    _job_update(task_name, last_started_at=now or timezone.now())


def job_succeeded(*, task_name: str, now: datetime | None = None) -> None:
    _job_update(task_name, last_succeeded_at=now or timezone.now(), successes=F("successes") + 1)


def job_failed(*, task_name: str, error: str, now: datetime | None = None) -> None:
    _job_update(task_name, last_failed_at=now or timezone.now(), last_error=error[:5000], failures=F("failures") + 1)


def _job_update(task_name: str, **fields: Any) -> None:
    # F() increments are applied by the database, so concurrent updates never lose a count.
    if JobStatus.objects.filter(task_name=task_name).update(**fields):
        return
    try:
        with transaction.atomic():
            JobStatus.objects.create(task_name=task_name)
    except IntegrityError:
        pass
    JobStatus.objects.filter(task_name=task_name).update(**fields)


def jobs_check(*, now: datetime | None = None) -> list[str]:
    """Alert for every watched job without a success for longer than its limit. Returns their names.

    A job that has never succeeded is measured from when monitoring first saw it, so a fresh
    installation does not raise alarms in its first hours.
    """
    now = now or timezone.now()
    late: list[str] = []
    for task_name, max_age in sorted(settings.MONITORING_JOBS.items()):
        job, _ = JobStatus.objects.get_or_create(task_name=task_name)
        reference = job.last_succeeded_at or job.created_at
        if now - reference > timedelta(seconds=int(max_age)):
            late.append(task_name)
            alert_job_late(task_name=task_name, last_success=job.last_succeeded_at, max_age_seconds=int(max_age))
    return late


def call_log_run_report(*, summary: Any) -> None:
    """Metrics and alerts for one run of the hourly call-log job (an ingestion.calllogs RunSummary).

    The job does not raise for a bad file (the other files go on): a file that failed or was
    quarantined is reported here, so "the call-log job failing" reaches the admins either way.
    """
    if getattr(summary, "dry_run", False):
        return
    for item in summary.files:
        metrics.record_calllog_file(outcome=item.outcome)
        metrics.record_calllog_rows(accepted=item.calls, rejected=item.rejected)
        if item.outcome == "quarantined":
            alert_quarantined(source="call_center", reason=item.error, lake_key=item.key, stage="call-log job")
        elif item.outcome == "failed":
            alert_send(
                kind="call_log_file_failed",
                key=[normalise(item.error)],
                subject="Call-log file failed",
                body=(
                    f"The hourly call-log job could not ingest {item.key}: {item.error}\n\n"
                    "The next run retries it (up to CALL_LOG_MAX_ATTEMPTS); after that it stays `failed` "
                    "in the admin (Raw events, provider call_log), where it can be retried: "
                    + admin_link("ingestion_rawevent_changelist", query="?provider=call_log&status__exact=failed")
                ),
            )
