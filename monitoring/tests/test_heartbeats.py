"""Beat's last runs and the workers' heartbeats, recorded by the Celery signal hooks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.signals import beat_init
from django.utils import timezone
from kombu import Connection

from complaintsite.celery import app as celery_app
from ingestion.tasks import sweep_stuck_raw_events
from monitoring import celery_hooks
from monitoring.models import Heartbeat, JobStatus
from monitoring.services import jobs_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_beat() -> Iterator[None]:
    """This process plays beat: the signal beat sends when it starts."""
    beat_init.send(sender=None)
    yield
    celery_hooks._state["role"] = ""


def test_every_task_beat_publishes_is_its_last_run_and_beats_heartbeat(in_beat: None, own_redis) -> None:
    celery_app.conf.task_always_eager = False
    with Connection(own_redis.url) as conn:
        celery_app.send_task("ingestion.ingest_call_logs", connection=conn)
        celery_app.send_task("monitoring.heartbeat", connection=conn)
    sent = dict(JobStatus.objects.values_list("task_name", "last_sent_at"))
    assert set(sent) == {"ingestion.ingest_call_logs", "monitoring.heartbeat"}
    assert all(at is not None and timezone.now() - at < timedelta(seconds=10) for at in sent.values())
    beat = Heartbeat.objects.get(component="beat")
    assert timezone.now() - beat.last_seen < timedelta(seconds=10)
    assert beat.detail["rss_bytes"] > 0


def test_publishing_from_a_web_process_is_not_taken_for_beat(own_redis) -> None:
    celery_app.conf.task_always_eager = False
    with Connection(own_redis.url) as conn:
        celery_app.send_task("monitoring.heartbeat", connection=conn)
    assert not JobStatus.objects.exists() and not Heartbeat.objects.exists()


def test_a_watched_job_that_succeeds_is_recorded_and_not_late() -> None:
    sweep_stuck_raw_events.delay()
    job = JobStatus.objects.get(task_name="ingestion.sweep_stuck_raw_events")
    assert job.successes == 1 and job.last_started_at and job.last_succeeded_at
    assert "ingestion.sweep_stuck_raw_events" not in jobs_check(now=timezone.now() + timedelta(minutes=14))
    assert "ingestion.sweep_stuck_raw_events" in jobs_check(now=timezone.now() + timedelta(minutes=16))


def test_a_task_that_is_not_watched_leaves_no_job_row() -> None:
    from monitoring.tasks import flush_alerts

    flush_alerts.delay()
    assert not JobStatus.objects.filter(task_name="monitoring.flush_alerts").exists()
