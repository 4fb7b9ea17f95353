"""The hourly schedule as a django-celery-beat periodic task that admins edit in the admin.

Created once (by a migration, or `call_log_schedule_ensure` for a flushed database) from
`settings.CALL_LOG_PERIODIC_TASK`; never overwritten afterwards, so an admin's change of the
crontab, or switching the task off, survives deploys and beat restarts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def call_log_schedule_ensure(*, periodic_task_model: Any = None, crontab_model: Any = None) -> tuple[Any, bool]:
    """Create the periodic task if it is missing. (task, created). Models may be historical ones."""
    if periodic_task_model is None or crontab_model is None:
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        periodic_task_model, crontab_model = PeriodicTask, CrontabSchedule
    spec: dict[str, Any] = settings.CALL_LOG_PERIODIC_TASK
    existing = periodic_task_model.objects.filter(name=spec["name"]).first()
    if existing is not None:
        return existing, False
    fields: dict[str, str] = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
    fields.update(spec["crontab"])
    crontab = crontab_model.objects.filter(**fields, timezone="UTC").first() or crontab_model.objects.create(
        **fields, timezone="UTC"
    )
    task = periodic_task_model.objects.create(
        name=spec["name"],
        task=spec["task"],
        crontab=crontab,
        expire_seconds=spec.get("expire_seconds"),
        description="Ingest new call-log files from the lake's inbox (docs/call-logs.md).",
        enabled=True,
    )
    return task, True
