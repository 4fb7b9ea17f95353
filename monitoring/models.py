"""What monitoring remembers between runs: heartbeats, scheduled jobs' last runs, volume spikes.

Throttling state lives in Redis (monitoring/throttle.py), not here: alerts must go out when the
database is the part that is down.
"""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of a worker node or of beat (one row per component and instance)."""

    class Component(models.TextChoices):
        WORKER = "worker", "Celery worker"
        BEAT = "beat", "Celery beat"

    component = models.CharField(max_length=20, choices=Component.choices)
    instance = models.CharField(max_length=255, help_text="Worker node name or beat host.")
    last_seen = models.DateTimeField(db_index=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "instance"], name="heartbeat_component_instance_uniq")
        ]
        ordering = ["component", "-last_seen"]

    def __str__(self) -> str:
        return f"{self.component} {self.instance} {self.last_seen:%Y-%m-%d %H:%M:%S}"


class JobStatus(models.Model):
    """A scheduled task's last publication by beat and its last runs (for "has it run lately?")."""

    task_name = models.CharField(max_length=200, unique=True)
    last_sent_at = models.DateTimeField(null=True, blank=True, help_text="When beat last published it.")
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    successes = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task_name"]
        verbose_name_plural = "job statuses"

    def __str__(self) -> str:
        return self.task_name


class VolumeSpike(models.Model):
    """One window in which a source's or a category's volume stood far above its usual level."""

    class Scope(models.TextChoices):
        SOURCE = "source", "Source"
        CATEGORY = "category", "Category"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    key = models.CharField(max_length=50, help_text="The source or category slug.")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField()
    baseline_median = models.FloatField()
    baseline_mad = models.FloatField()
    baseline_samples = models.PositiveIntegerField()
    threshold = models.FloatField(help_text="The count above which this window was a spike.")
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key", "window_end"], name="volumespike_scope_key_window_uniq")
        ]
        ordering = ["-window_end", "scope", "key"]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.count} at {self.window_end:%Y-%m-%d %H:%M}"
