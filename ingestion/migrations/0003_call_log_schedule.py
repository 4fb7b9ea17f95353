"""The hourly call-log run as an admin-editable django-celery-beat periodic task (created once)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from ingestion.calllogs.schedule import call_log_schedule_ensure

    call_log_schedule_ensure(
        periodic_task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        crontab_model=apps.get_model("django_celery_beat", "CrontabSchedule"),
    )
    # Tell a running beat that the schedule changed (what PeriodicTask.save() does outside migrations).
    from django.utils import timezone

    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="ingest-call-logs").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0002_sms_concat_parts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
