"""The rollup job's ways in: the beat tasks and `manage.py reporting_rollups`."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from complaintsite.celery import app
from warehouse.reporting.models import RollupDailyFlow, RollupDirtyDay, RollupState
from warehouse.tasks import reporting_rollups_requeue, reporting_rollups_update
from warehouse.tests.reporting_helpers import complaint_make

pytestmark = pytest.mark.django_db


def test_beat_runs_the_rollup_job_every_few_minutes_and_requeues_nightly() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["reporting-rollups-update"]["task"] == reporting_rollups_update.name
    assert schedule["reporting-rollups-update"]["schedule"] == timedelta(seconds=300)
    assert schedule["reporting-rollups-nightly-requeue"]["task"] == reporting_rollups_requeue.name
    assert {reporting_rollups_update.name, reporting_rollups_requeue.name} <= set(app.tasks)


def test_the_update_task_brings_todays_complaints_into_the_rollups(london) -> None:
    now = timezone.now()
    complaint_make(received=now.replace(tzinfo=None).isoformat(timespec="seconds"))

    result = reporting_rollups_update.delay().get()

    assert result["days"] >= 1 and not result["skipped"]
    assert RollupDailyFlow.objects.get(day=timezone.localdate(now)).received == 1


def test_the_nightly_task_queues_the_recent_days_again(london) -> None:
    london.REPORTING_NIGHTLY_REQUEUE_DAYS = 10
    assert reporting_rollups_requeue.delay().get() == 11
    assert RollupDirtyDay.objects.count() == 11


def test_the_command_rebuilds_and_reports_how_far_it_got(london) -> None:
    complaint_make(received="2026-10-25T09:00")
    out = io.StringIO()
    call_command("reporting_rollups", "--rebuild", "--since", "2026-10-20", stdout=out)
    text = out.getvalue()
    assert "days queued" in text and "0 days queued" in text.splitlines()[-1]
    assert RollupDailyFlow.objects.get(day=date(2026, 10, 25)).received == 1
    assert RollupState.objects.get().last_finished_at is not None

    status = io.StringIO()
    call_command("reporting_rollups", "--status", stdout=status)
    assert "last run finished" in status.getvalue()


def test_since_without_rebuild_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("reporting_rollups", "--since", "2026-10-20", stdout=io.StringIO())
