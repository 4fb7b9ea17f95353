"""Process-wide Prometheus metrics behind a tiny function API.

Call sites never touch prometheus_client directly: they call `record_received`,
`record_rejected` or `observe_accept_seconds`, so the metric names and labels live in one
place (here) and can be exposed later (a /metrics view, multiprocess mode under gunicorn)
without touching the edge code.

Label values are low-cardinality by construction: `source` is the entry point's name
("twilio", "vonage", "meta", "x", "web_form", ...), `reason` a short fixed slug
("signature", "malformed", "too_large", "disabled", "lake_unavailable", ...), never free text.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

# Multi-process mode must be set up before any metric below is created.
from metrics import _multiprocess  # noqa: F401

__all__ = [
    "ACCEPT_SECONDS",
    "RECEIVED",
    "REGISTRY",
    "REJECTED",
    "observe_accept_seconds",
    "record_received",
    "record_rejected",
    "sample",
]

RECEIVED = Counter(
    "complaints_edge_received",
    "Deliveries accepted at the edge (in the lake and the ledger).",
    ["source"],
)
REJECTED = Counter(
    "complaints_edge_rejected",
    "Deliveries refused at the edge, by reason (signature, malformed, too_large, ...).",
    ["source", "reason"],
)
# Buckets around the accept-path budget (p99 < 50 ms): fine below 100 ms, coarse above.
ACCEPT_SECONDS = Histogram(
    "complaints_edge_accept_seconds",
    "Time from the view's start to the accepted answer (signature, lake, ledger, enqueue).",
    ["source"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def record_received(*, source: str) -> None:
    RECEIVED.labels(source=source).inc()


def record_rejected(*, source: str, reason: str) -> None:
    REJECTED.labels(source=source, reason=reason).inc()


def observe_accept_seconds(*, source: str, seconds: float) -> None:
    ACCEPT_SECONDS.labels(source=source).observe(seconds)


def sample(name: str, labels: dict[str, str], registry: CollectorRegistry = REGISTRY) -> float:
    """The current value of one sample (0.0 when never recorded); for tests and health pages.

    `name` is the sample name, e.g. "complaints_edge_rejected_total".
    """
    value = registry.get_sample_value(name, labels)
    return float(value) if value is not None else 0.0


# Worker-side and per-process metrics (monitoring, issue 8); re-exported for a flat call-site API.
from metrics.pipeline import (  # noqa: E402
    observe_classifier,
    observe_receipt_to_warehouse,
    record_calllog_file,
    record_calllog_rows,
    record_message_received,
    record_task_failure,
    record_task_retry,
)
from metrics.process import process_exited, process_sample  # noqa: E402

__all__ += [
    "observe_classifier",
    "observe_receipt_to_warehouse",
    "process_exited",
    "process_sample",
    "record_calllog_file",
    "record_calllog_rows",
    "record_message_received",
    "record_task_failure",
    "record_task_retry",
]
