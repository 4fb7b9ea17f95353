"""Readiness checks: each answers ok or not, with a one-line detail and how long it took.

Every check has a short timeout of its own, so /readyz answers within a few seconds even when
a dependency hangs; a load balancer takes the instance out of rotation on a 503.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from monitoring.models import Heartbeat
from monitoring.selectors import heartbeat_latest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    ms: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail, "ms": round(self.ms, 1)}


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(True, connection.vendor)


def check_broker() -> CheckResult:
    """Open a connection to the broker (read from settings on each call, never cached)."""
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    with Connection(url, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=0)  # one attempt: readiness must not sit in a retry loop
    return CheckResult(True, url.split("://", 1)[0])


def check_lake() -> CheckResult:
    from lake import get_lake

    lake = get_lake()
    lake.check_writable()
    return CheckResult(True, f"{lake.scheme} lake writable")


def check_worker() -> CheckResult:
    return _heartbeat_check(Heartbeat.Component.WORKER, settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS, "worker")


def check_beat() -> CheckResult:
    return _heartbeat_check(Heartbeat.Component.BEAT, settings.BEAT_MAX_SILENCE_SECONDS, "beat")


def _heartbeat_check(component: str, max_age: int, name: str) -> CheckResult:
    last = heartbeat_latest(component=component)
    if last is None:
        return CheckResult(False, f"no {name} heartbeat ever recorded")
    age = (timezone.now() - last).total_seconds()
    ok = age <= max_age
    return CheckResult(ok, f"last {name} heartbeat {age:.0f}s ago (limit {max_age}s)")


def check_model() -> CheckResult:
    """Through the classifier's public loader: a missing or unready model raises, and is not ready."""
    from classification import model

    classifier = model.get_classifier()
    version = str(getattr(classifier, "version", "") or getattr(classifier, "model_version", "") or "loaded")
    return CheckResult(True, version)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "lake": check_lake,
    "worker": check_worker,
    "beat": check_beat,
    "model": check_model,
}


def readiness() -> tuple[bool, dict[str, CheckResult]]:
    """Run every check in READINESS_CHECKS; (all ok, results by name)."""
    results: dict[str, CheckResult] = {}
    for name in settings.READINESS_CHECKS:
        started = time.perf_counter()
        try:
            result = CHECKS[name]()
        except Exception as exc:  # any failure of a dependency is "not ready", with its reason
            result = CheckResult(False, f"{type(exc).__name__}: {exc}"[:500])
        results[name] = CheckResult(result.ok, result.detail, (time.perf_counter() - started) * 1000)
    return all(r.ok for r in results.values()), results
