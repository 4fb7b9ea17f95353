"""Worker-side metrics: messages, duplicates, latency to the warehouse, classifier, tasks, call logs.

Label values stay low-cardinality: a Source or Channel value, a task name, a fixed outcome slug.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES_RECEIVED = Counter(
    "complaints_messages_received",
    "New customer messages recorded by the pipeline (after de-duplication), by source and channel.",
    ["source", "channel"],
)
# From our receipt time to the complaint row: seconds for real-time sources, up to the batch
# interval (an hour or two) for call logs.
RECEIPT_TO_WAREHOUSE_SECONDS = Histogram(
    "complaints_receipt_to_warehouse_seconds",
    "Time from receipt (the ledger's received_at) to the complaint's creation in the warehouse.",
    ["source"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 7200, 14400),
)
CLASSIFIER_BATCH_SECONDS = Histogram(
    "complaints_classifier_batch_seconds",
    "Wall time of one classifier call (one nlp.pipe batch).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CLASSIFIER_TEXTS = Counter("complaints_classifier_texts", "Texts classified.")
TASK_FAILURES = Counter(
    "complaints_task_failures",
    "Celery tasks that failed for good (out of retries, or an error that is not retried).",
    ["task"],
)
TASK_RETRIES = Counter("complaints_task_retries", "Celery task retries scheduled.", ["task"])
CALLLOG_FILES = Counter(
    "complaints_calllog_files",
    "Call-log files handled by the hourly job, by outcome (ingested, unchanged, busy, failed, quarantined).",
    ["outcome"],
)
CALLLOG_ROWS = Counter(
    "complaints_calllog_rows",
    "Call-log rows read by the batch, by outcome (accepted, rejected).",
    ["outcome"],
)


def record_message_received(*, source: str, channel: str, count: int = 1) -> None:
    MESSAGES_RECEIVED.labels(source=source, channel=channel).inc(count)


def observe_receipt_to_warehouse(*, source: str, seconds: float) -> None:
    # A clock step or a replay of old events may give odd values; a negative one is a clock step.
    RECEIPT_TO_WAREHOUSE_SECONDS.labels(source=source).observe(max(seconds, 0.0))


def observe_classifier(*, seconds: float, texts: int) -> None:
    CLASSIFIER_BATCH_SECONDS.observe(seconds)
    CLASSIFIER_TEXTS.inc(texts)


def record_task_failure(*, task: str) -> None:
    TASK_FAILURES.labels(task=task).inc()


def record_task_retry(*, task: str) -> None:
    TASK_RETRIES.labels(task=task).inc()


def record_calllog_file(*, outcome: str) -> None:
    """outcome: the job's own (ingested, unchanged, busy, failed, quarantined)."""
    CALLLOG_FILES.labels(outcome=outcome).inc()


def record_calllog_rows(*, accepted: int = 0, rejected: int = 0) -> None:
    if accepted:
        CALLLOG_ROWS.labels(outcome="accepted").inc(accepted)
    if rejected:
        CALLLOG_ROWS.labels(outcome="rejected").inc(rejected)
