"""Monitoring's scheduled tasks: thin, named, time-limited (ARCHITECTURE rule 4)."""

from __future__ import annotations

import socket

from celery import shared_task

from monitoring import alerts, celery_hooks, services, spikes


@shared_task(name="monitoring.heartbeat", bind=True, ignore_result=True, soft_time_limit=20, time_limit=30)
def heartbeat(self) -> None:  # type: ignore[no-untyped-def]
    """Sent by beat every 30 s: a worker that runs it is alive and reachable through the broker."""
    import metrics

    metrics.process_sample(role="worker")
    celery_hooks.worker_heartbeat(instance=self.request.hostname or socket.gethostname(), force=True)


@shared_task(name="monitoring.flush_alerts", ignore_result=True, soft_time_limit=50, time_limit=60)
def flush_alerts() -> int:
    return alerts.alerts_flush()


@shared_task(name="monitoring.check_jobs", ignore_result=True, soft_time_limit=50, time_limit=60)
def check_jobs() -> int:
    return len(services.jobs_check())


@shared_task(name="monitoring.detect_volume_spikes", ignore_result=True, soft_time_limit=240, time_limit=300)
def detect_volume_spikes() -> int:
    return len(spikes.spikes_detect())
