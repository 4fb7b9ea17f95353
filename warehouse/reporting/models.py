"""Rollup tables for reporting, and how far the job that fills them got.

Each table holds aggregates for whole local days (days cut in settings.TIME_ZONE). The job
(warehouse.reporting.rollups) recomputes a day at a time from the complaints: it deletes the
day's rows and writes them again in one transaction, so a re-run is harmless and a crash leaves
the day either old or new, never half. Days to recompute wait in RollupDirtyDay; RollupState
records how far the change feed has been read (zulip's FillState, analytics/models.py).

These are ordinary Django tables, on SQLite too, so that the dashboards draw from them in the
embedded `make run` set-up; the PostgreSQL-only `reporting` schema exposes them to analysts.
"""

from __future__ import annotations

from django.db import models

# The value of `source` / `category` on rows that total every source or category (percentiles
# cannot be added up, so the totals are computed and stored, not summed at read time).
ALL = "*"


class RollupState(models.Model):
    """The job's progress and lease: one row per job name."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(
        default=0, help_text="ComplaintEvent ids up to this one have had their days queued."
    )
    time_zone = models.CharField(max_length=64, blank=True, help_text="The zone the stored days were cut in.")
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_days = models.PositiveIntegerField(default=0, help_text="Days recomputed by the last run.")
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "warehouse_rollup_state"

    def __str__(self) -> str:
        return f"{self.name} through event {self.last_event_id}"


class RollupDirtyDay(models.Model):
    """A local day whose rollups must be recomputed; the row goes when the day is done."""

    day = models.DateField(primary_key=True)
    queued_at = models.DateTimeField()

    class Meta:
        db_table = "warehouse_rollup_dirty_day"

    def __str__(self) -> str:
        return self.day.isoformat()


class RollupVolumeHourly(models.Model):
    """Complaints received per hour of the internal zone, by source, channel and category."""

    # The hour's first instant (UTC). On the day clocks go back, local 01:00 happens twice:
    # two rows, told apart by hour_start, both with local_hour 1.
    hour_start = models.DateTimeField()
    day = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=20)
    channel = models.CharField(max_length=30)
    category = models.CharField(max_length=50)
    complaints = models.PositiveIntegerField()

    class Meta:
        db_table = "warehouse_rollup_volume_hourly"
        constraints = [
            models.UniqueConstraint(
                fields=["hour_start", "source", "channel", "category"], name="rollup_volume_hourly_uniq"
            )
        ]
        indexes = [models.Index(fields=["day"], name="rollup_volume_hourly_day")]

    def __str__(self) -> str:
        return f"{self.hour_start:%Y-%m-%d %H:%M}Z {self.source}/{self.channel}/{self.category}: {self.complaints}"


class RollupDailyFlow(models.Model):
    """Per local day: complaints received, and complaints closed (resolved or dismissed) that day.

    The running sum of received - resolved - dismissed is the backlog.
    """

    day = models.DateField()
    source = models.CharField(max_length=20)
    channel = models.CharField(max_length=30)
    category = models.CharField(max_length=50)
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    dismissed = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "warehouse_rollup_daily_flow"
        constraints = [
            models.UniqueConstraint(fields=["day", "source", "channel", "category"], name="rollup_daily_flow_uniq")
        ]
        indexes = [models.Index(fields=["source", "day"], name="rollup_daily_flow_source_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.source}/{self.channel}/{self.category}: +{self.received}"


class RollupResponseTimes(models.Model):
    """Response and resolution times of the complaints received on a day (a cohort).

    Rows exist for (source, category), (source, ALL), (ALL, category) and (ALL, ALL).
    Percentiles are PostgreSQL's percentile_cont (linear interpolation).
    """

    day = models.DateField()
    source = models.CharField(max_length=20)
    category = models.CharField(max_length=50)
    complaints = models.PositiveIntegerField()
    responded = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()
    first_response_median_seconds = models.FloatField(null=True)
    first_response_p90_seconds = models.FloatField(null=True)
    resolution_median_seconds = models.FloatField(null=True)
    resolution_p90_seconds = models.FloatField(null=True)

    class Meta:
        db_table = "warehouse_rollup_response_times"
        constraints = [models.UniqueConstraint(fields=["day", "source", "category"], name="rollup_response_times_uniq")]
        indexes = [models.Index(fields=["source", "category", "day"], name="rollup_response_src_cat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.source}/{self.category}: {self.complaints}"


class RollupCategoryAgreement(models.Model):
    """Web-form complaints per day: the customer's category against the classifier's."""

    day = models.DateField()
    customer_category = models.CharField(max_length=50)
    classifier_category = models.CharField(max_length=50)
    complaints = models.PositiveIntegerField()

    class Meta:
        db_table = "warehouse_rollup_category_agreement"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "customer_category", "classifier_category"], name="rollup_category_agreement_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.customer_category}->{self.classifier_category}: {self.complaints}"


class RollupFilteredDaily(models.Model):
    """Messages the classifier filtered out as not complaints, per local day of receipt."""

    day = models.DateField()
    source = models.CharField(max_length=20)
    channel = models.CharField(max_length=30)
    reason = models.CharField(max_length=20)
    messages = models.PositiveIntegerField()

    class Meta:
        db_table = "warehouse_rollup_filtered_daily"
        constraints = [
            models.UniqueConstraint(fields=["day", "source", "channel", "reason"], name="rollup_filtered_daily_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source}/{self.channel}/{self.reason}: {self.messages}"


class RollupWeeklyTrend(models.Model):
    """A complete week (Monday to Sunday, local) against the week before, per source and category."""

    class Dimension(models.TextChoices):
        SOURCE = "source", "Source"
        CATEGORY = "category", "Category"

    class Direction(models.TextChoices):
        RISING = "rising", "Rising"
        FALLING = "falling", "Falling"
        STEADY = "", "No significant change"

    week_start = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    value = models.CharField(max_length=50)
    complaints = models.PositiveIntegerField()
    previous_complaints = models.PositiveIntegerField()
    change = models.FloatField(null=True, help_text="(this - previous) / previous; null when previous is 0.")
    p_value = models.FloatField()
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)

    class Meta:
        db_table = "warehouse_rollup_weekly_trend"
        constraints = [
            models.UniqueConstraint(fields=["week_start", "dimension", "value"], name="rollup_weekly_trend_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.week_start} {self.dimension}={self.value}: {self.previous_complaints}->{self.complaints}"

    @property
    def flagged(self) -> bool:
        return bool(self.direction)
