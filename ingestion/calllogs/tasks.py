"""The hourly call-log run as a Celery task (thin: one service call, a summary back)."""

from __future__ import annotations

from celery import shared_task

from ingestion.calllogs.job import TRANSIENT_ERRORS, call_logs_ingest
from monitoring.services import call_log_run_report


@shared_task(
    name="ingestion.ingest_call_logs",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    # Under the broker's visibility timeout (an hour), so a long run is not delivered twice; a
    # run cut short leaves its file to the next one (the lease expires, the file is resumed).
    soft_time_limit=3300,
    time_limit=3420,
)
def ingest_call_logs(path: str = "") -> dict[str, object]:
    summary = call_logs_ingest(path=path)
    call_log_run_report(summary=summary)  # metrics, and alerts for failed or quarantined files
    return summary.as_dict()
