"""One local day of rollups, computed from the complaints and written in one transaction.

Recomputing a whole day (rather than adding increments) makes a re-run harmless and lets late
changes (a complaint resolved weeks after it arrived, a relabelled category) land by simply
queueing the affected days again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, Model, OuterRef, Q
from django.db.models.expressions import RawSQL

from warehouse.models import Complaint, ComplaintEvent
from warehouse.reporting.models import (
    ALL,
    RollupCategoryAgreement,
    RollupDailyFlow,
    RollupFilteredDaily,
    RollupResponseTimes,
    RollupVolumeHourly,
)
from warehouse.reporting.stats import percentile_cont
from warehouse.reporting.timebuckets import day_bounds, hour_start

# The warehouse imports nothing from ingestion (ARCHITECTURE); the two facts it needs from the
# message ledger (what the classifier first said, and what it filtered out) are read by SQL, by
# table name. These statements are plain SQL that SQLite and PostgreSQL both run.
CLASSIFIER_CATEGORY_SQL = (
    "SELECT m.predicted_category FROM ingestion_message m WHERE m.id = warehouse_complaint.message_id"
)
FILTERED_SQL = (
    "SELECT source, channel, not_complaint_reason, COUNT(*) FROM ingestion_message "
    "WHERE status = 'filtered' AND received_at >= %s AND received_at < %s "
    "GROUP BY source, channel, not_complaint_reason"
)


@dataclass
class DayRollups:
    day: date
    hourly: list[RollupVolumeHourly] = field(default_factory=list)
    flow: list[RollupDailyFlow] = field(default_factory=list)
    response: list[RollupResponseTimes] = field(default_factory=list)
    agreement: list[RollupCategoryAgreement] = field(default_factory=list)
    filtered: list[RollupFilteredDaily] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(part) for part in (self.hourly, self.flow, self.response, self.agreement, self.filtered))


def day_compute(*, day: date, tz: tzinfo) -> DayRollups:
    """Read everything the rollups hold for one local day. Reads only: no writes here."""
    start, end = day_bounds(day, tz)
    result = DayRollups(day=day)
    received = (
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values_list("received_at", "source", "channel", "category", "first_response_at", "resolved_at")
    )
    hourly: Counter[tuple[datetime, int, str, str, str]] = Counter()
    flow: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    # Durations per (source, category) at four levels: percentiles do not add up, so the
    # all-sources and all-categories rows are computed from the durations themselves.
    responses: dict[tuple[str, str], list[float]] = defaultdict(list)
    resolutions: dict[tuple[str, str], list[float]] = defaultdict(list)
    cohort: Counter[tuple[str, str]] = Counter()
    for received_at, source, channel, category, first_response_at, resolved_at in received.iterator(2000):
        hour, local_hour = hour_start(received_at, tz)
        hourly[(hour, local_hour, source, channel, category)] += 1
        flow[(source, channel, category)]["received"] += 1
        for key in ((source, category), (source, ALL), (ALL, category), (ALL, ALL)):
            cohort[key] += 1
            if first_response_at is not None:
                responses[key].append((first_response_at - received_at).total_seconds())
            if resolved_at is not None:
                resolutions[key].append((resolved_at - received_at).total_seconds())

    result.hourly = [
        RollupVolumeHourly(
            hour_start=hour,
            day=day,
            local_hour=local_hour,
            source=source,
            channel=channel,
            category=category,
            complaints=count,
        )
        for (hour, local_hour, source, channel, category), count in sorted(hourly.items())
    ]
    result.response = [
        RollupResponseTimes(
            day=day,
            source=source,
            category=category,
            complaints=count,
            responded=len(responses[(source, category)]),
            resolved=len(resolutions[(source, category)]),
            first_response_median_seconds=percentile_cont(responses[(source, category)], 0.5),
            first_response_p90_seconds=percentile_cont(responses[(source, category)], 0.9),
            resolution_median_seconds=percentile_cont(resolutions[(source, category)], 0.5),
            resolution_p90_seconds=percentile_cont(resolutions[(source, category)], 0.9),
        )
        for (source, category), count in sorted(cohort.items())
    ]

    for row in _resolved_on(start, end):
        flow[(row["source"], row["channel"], row["category"])]["resolved"] += row["n"]
    for row in _dismissed_on(start, end):
        flow[(row["source"], row["channel"], row["category"])]["dismissed"] += row["n"]
    result.flow = [
        RollupDailyFlow(
            day=day,
            source=source,
            channel=channel,
            category=category,
            received=counts["received"],
            resolved=counts["resolved"],
            dismissed=counts["dismissed"],
        )
        for (source, channel, category), counts in sorted(flow.items())
    ]
    result.agreement = [
        RollupCategoryAgreement(
            day=day,
            customer_category=row["customer_category"],
            classifier_category=row["classifier_category"] or "",
            complaints=row["n"],
        )
        for row in _agreement(start, end)
    ]
    result.filtered = [
        RollupFilteredDaily(day=day, source=source, channel=channel, reason=reason or "", messages=count)
        for source, channel, reason, count in _filtered(start, end)
    ]
    return result


def _resolved_on(start: datetime, end: datetime) -> list[dict[str, Any]]:
    return list(
        Complaint.objects.filter(status=Complaint.Status.RESOLVED, resolved_at__gte=start, resolved_at__lt=end)
        .order_by()
        .values("source", "channel", "category")
        .annotate(n=Count("id"))
    )


def _dismissed_on(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Complaints dismissed within [start, end): the complaint has no dismissal time of its own,
    so the audit entry of its (last) dismissal gives it.

    By action, not by to_status: a note added to a dismissed complaint later is audited with
    to_status "dismissed" too, and would move the dismissal to the note's day.
    """
    dismissals = ComplaintEvent.objects.filter(complaint=OuterRef("pk"), action=ComplaintEvent.Action.DISMISSED)
    return list(
        Complaint.objects.filter(status=Complaint.Status.DISMISSED)
        .filter(Exists(dismissals.filter(created_at__gte=start, created_at__lt=end)))
        .exclude(Exists(dismissals.filter(created_at__gte=end)))
        .order_by()
        .values("source", "channel", "category")
        .annotate(n=Count("id"))
    )


def _agreement(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Web-form complaints (the only ones with a customer's category) by (customer's, classifier's).

    The classifier's category is what it said when the message arrived (kept on the message);
    the complaint's own category may since have been corrected by an agent.
    """
    rows = (
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        .filter(~Q(customer_category=""))
        .annotate(said=RawSQL(CLASSIFIER_CATEGORY_SQL, []))  # noqa: S611 (a constant, no input)
        .order_by()
        .values_list("customer_category", "said", "category")
    )
    counts: Counter[tuple[str, str]] = Counter()
    for customer_category, said, category in rows:
        counts[(customer_category, said or category or "")] += 1
    return [
        {"customer_category": customer, "classifier_category": classifier, "n": n}
        for (customer, classifier), n in sorted(counts.items())
    ]


def _filtered(start: datetime, end: datetime) -> list[tuple[str, str, str, int]]:
    params = [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]
    with connection.cursor() as cursor:
        cursor.execute(FILTERED_SQL, params)
        return sorted((str(s), str(c), str(r or ""), int(n)) for s, c, r, n in cursor.fetchall())


ROLLUP_MODELS = (
    RollupVolumeHourly,
    RollupDailyFlow,
    RollupResponseTimes,
    RollupCategoryAgreement,
    RollupFilteredDaily,
)


def day_write(*, rollups: DayRollups) -> int:
    """Make a day's rows in every rollup table equal to `rollups`. The caller holds the transaction.

    Only the rows that differ are deleted and inserted: a day recomputed because one complaint was
    resolved keeps its hourly volumes untouched, which is most of its rows. Returns rows written.
    """
    assert transaction.get_connection().in_atomic_block, "day_write must run inside transaction.atomic()"
    written = 0
    for model, rows in (
        (RollupVolumeHourly, rollups.hourly),
        (RollupDailyFlow, rollups.flow),
        (RollupResponseTimes, rollups.response),
        (RollupCategoryAgreement, rollups.agreement),
        (RollupFilteredDaily, rollups.filtered),
    ):
        written += _rows_replace(model, rollups.day, rows)
    return written


def _rows_replace(model: type[Model], day: date, rows: list[Any]) -> int:
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    manager = model._default_manager
    stored = {tuple(values): pk for pk, *values in manager.filter(day=day).values_list("pk", *fields)}
    wanted = {tuple(getattr(row, name) for name in fields): row for row in rows}
    stale = [pk for values, pk in stored.items() if values not in wanted]
    fresh = [row for values, row in wanted.items() if values not in stored]
    if stale:
        manager.filter(pk__in=stale).delete()
    manager.bulk_create(fresh, batch_size=1000)
    return len(stale) + len(fresh)
