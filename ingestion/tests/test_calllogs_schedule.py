"""The hourly schedule: a django-celery-beat periodic task that admins edit, and what beat does with it."""

from __future__ import annotations

import importlib

import pytest
from celery.schedules import crontab
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from complaintsite.celery import app as celery_app
from conftest import wait_for
from ingestion.calllogs.schedule import call_log_schedule_ensure
from ingestion.models import Message, RawEvent
from ingestion.tests.calllogs.helpers import drop, fixture_bytes
from lake import get_lake

NAME = "ingest-call-logs"
migration = importlib.import_module("ingestion.migrations.0003_call_log_schedule")


@pytest.fixture(autouse=True)
def _schedule(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush what the migration created: put the periodic task back."""
    marker = request.node.get_closest_marker("django_db")
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    call_log_schedule_ensure()


@pytest.mark.django_db
def test_the_periodic_task_runs_the_job_hourly_at_the_configured_minute() -> None:
    task = PeriodicTask.objects.get(name=NAME)
    assert task.enabled and task.task == "ingestion.ingest_call_logs"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        str(django_settings.CALL_LOG_SCHEDULE_MINUTE),
        "*",
        "*",
    )
    assert task.expire_seconds == 3000
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    assert "ingestion.ingest_call_logs" in celery_app.tasks  # beat's entry names a task workers know
    # Not in CELERY_BEAT_SCHEDULE, whose entries beat rewrites at every start.
    assert all(entry["task"] != "ingestion.ingest_call_logs" for entry in django_settings.CELERY_BEAT_SCHEDULE.values())


@pytest.mark.django_db
def test_the_migration_creates_the_task_once_and_never_overwrites_an_admin_edit() -> None:
    PeriodicTask.objects.filter(name=NAME).delete()
    migration.create_schedule(django_apps, None)
    task = PeriodicTask.objects.get(name=NAME)
    assert task.crontab.minute == str(django_settings.CALL_LOG_SCHEDULE_MINUTE)

    task.crontab = CrontabSchedule.objects.create(minute="*/20", hour="*")
    task.save()
    migration.create_schedule(django_apps, None)  # a later deploy re-running the seed
    call_log_schedule_ensure()
    assert PeriodicTask.objects.filter(name=NAME).count() == 1
    assert PeriodicTask.objects.get(name=NAME).crontab.minute == "*/20"


# Beat closes stale database connections as it works, which only a transactional test allows.
@pytest.mark.django_db(transaction=True)
def test_beat_loads_the_admins_schedule_and_keeps_it_across_a_restart() -> None:
    task = PeriodicTask.objects.get(name=NAME)
    task.crontab = CrontabSchedule.objects.create(minute="40", hour="*/2")
    task.save()

    for _restart in range(2):
        scheduler = DatabaseScheduler(app=celery_app)
        entry = scheduler.schedule[NAME]
        assert entry.task == "ingestion.ingest_call_logs"
        assert entry.schedule == crontab(minute="40", hour="*/2")

    task.enabled = False
    task.save()
    assert NAME not in DatabaseScheduler(app=celery_app).schedule


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_when_beat_fires_the_entry_a_real_worker_ingests_the_inbox(real_worker: None) -> None:
    """Beat -> Redis -> a `celery worker` process -> the job, on the worker's lake."""
    drop(get_lake(), "beat/calls.csv", fixture_bytes("calls.csv"))
    scheduler = DatabaseScheduler(app=celery_app)
    scheduler.apply_entry(scheduler.schedule[NAME], producer=None)
    wait_for(
        lambda: RawEvent.objects.filter(
            meta__inbox_key="inbox/call_center/beat/calls.csv", status=RawEvent.Status.PROCESSED
        ).exists(),
        timeout=60,
    )
    assert set(Message.objects.filter(source="call_center").values_list("external_id", flat=True)) >= {"CSV-1", "CSV-3"}
