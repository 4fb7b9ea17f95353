"""What the dashboards read: small tables drawn from the rollups, on SQLite and PostgreSQL alike.

Each chart is a `Table` (columns and rows), so that the browser draws it from the JSON endpoint
and the same rows download as CSV. Days with no data are filled with zeros (or None where a zero
would be a lie, as for a median of nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum

from warehouse.reporting.models import (
    ALL,
    RollupDailyFlow,
    RollupDirtyDay,
    RollupFilteredDaily,
    RollupResponseTimes,
    RollupState,
)
from warehouse.reporting.timebuckets import days_between
from warehouse.reporting.trends import Dimension, Trend, trends_for_week


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date
    source: str | None = None

    @property
    def days(self) -> list[date]:
        return list(days_between(self.start, self.end))


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    unit: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "columns": self.columns,
            "rows": [[_jsonable(value) for value in row] for row in self.rows],
            **({"meta": self.meta} if self.meta else {}),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _flows(filters: DashboardFilters) -> QuerySet[RollupDailyFlow]:
    rows = RollupDailyFlow.objects.all()
    return rows.filter(source=filters.source) if filters.source else rows


def _per_day(filters: DashboardFilters, series: list[str], values: dict[tuple[date, str], int]) -> list[list[Any]]:
    return [[day, *(values.get((day, name), 0) for name in series)] for day in filters.days]


def _ordered(totals: dict[str, int]) -> list[str]:
    """Series by total, largest first: the stacking and the legend read best that way."""
    return sorted(totals, key=lambda name: (-totals[name], name))


def volume_by(filters: DashboardFilters, *, dimension: str) -> Table:
    """Complaints received per day, one column per source or per category."""
    values: dict[tuple[date, str], int] = {}
    totals: dict[str, int] = defaultdict(int)
    rows = (
        _flows(filters)
        .filter(day__gte=filters.start, day__lte=filters.end, received__gt=0)
        .order_by()
        .values("day", dimension)
        .annotate(n=Sum("received"))
    )
    for row in rows:
        values[(row["day"], row[dimension])] = row["n"]
        totals[row[dimension]] += row["n"]
    series = _ordered(totals)
    return Table(
        name=f"volume_by_{dimension}",
        title=f"Complaints received per day, by {dimension}",
        columns=["day", *series],
        rows=_per_day(filters, series, values),
        unit="complaints",
    )


def backlog(filters: DashboardFilters) -> Table:
    """Open complaints at the end of each day: everything received minus everything closed."""
    flows = _flows(filters)
    before = flows.filter(day__lt=filters.start).aggregate(
        received=Sum("received"), resolved=Sum("resolved"), dismissed=Sum("dismissed")
    )
    open_count = (before["received"] or 0) - (before["resolved"] or 0) - (before["dismissed"] or 0)
    per_day = {
        row["day"]: row
        for row in flows.filter(day__gte=filters.start, day__lte=filters.end)
        .order_by()
        .values("day")
        .annotate(received=Sum("received"), resolved=Sum("resolved"), dismissed=Sum("dismissed"))
    }
    rows = []
    for day in filters.days:
        row = per_day.get(day, {})
        received = row.get("received") or 0
        closed = (row.get("resolved") or 0) + (row.get("dismissed") or 0)
        open_count += received - closed
        rows.append([day, received, closed, open_count])
    return Table(
        name="backlog",
        title="Backlog: open complaints at the end of each day",
        columns=["day", "received", "closed", "open"],
        rows=rows,
        unit="complaints",
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def response_times(filters: DashboardFilters) -> Table:
    """Median and 90th percentile, in hours, of the complaints received each day."""
    stored = {
        row.day: row
        for row in RollupResponseTimes.objects.filter(
            day__gte=filters.start, day__lte=filters.end, source=filters.source or ALL, category=ALL
        )
    }
    rows = []
    for day in filters.days:
        r = stored.get(day)
        rows.append(
            [day]
            + (
                [
                    _hours(r.first_response_median_seconds),
                    _hours(r.first_response_p90_seconds),
                    _hours(r.resolution_median_seconds),
                    _hours(r.resolution_p90_seconds),
                    r.complaints,
                ]
                if r
                else [None, None, None, None, 0]
            )
        )
    return Table(
        name="response_times",
        title="Time to first response and to resolution (hours), by day of receipt",
        columns=[
            "day",
            "first_response_median_hours",
            "first_response_p90_hours",
            "resolution_median_hours",
            "resolution_p90_hours",
            "complaints",
        ],
        rows=rows,
        unit="hours",
    )


def filtered_volume(filters: DashboardFilters) -> Table:
    """Messages filtered out as not complaints, per day and reason."""
    rows = RollupFilteredDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.source:
        rows = rows.filter(source=filters.source)
    values: dict[tuple[date, str], int] = {}
    totals: dict[str, int] = defaultdict(int)
    for row in rows.order_by().values("day", "reason").annotate(n=Sum("messages")):
        reason = row["reason"] or "unknown"
        values[(row["day"], reason)] = values.get((row["day"], reason), 0) + row["n"]
        totals[reason] += row["n"]
    series = _ordered(totals)
    return Table(
        name="filtered",
        title="Messages filtered out as not complaints, by reason",
        columns=["day", *series],
        rows=_per_day(filters, series, values),
        unit="messages",
    )


def _trend_rows(trends: list[Trend]) -> list[list[Any]]:
    return [
        [
            t.value,
            t.current,
            t.previous,
            None if t.change is None else round(100 * t.change, 1),
            t.p_value,
            t.direction,
        ]
        for t in trends
    ]


def trends(filters: DashboardFilters, *, dimension: str) -> Table:
    """The 7 days ending with the range's last day against the 7 before, per category or source."""
    found = trends_for_week(last_day=filters.end, dimension=dimension, source=filters.source)
    first = filters.end - timedelta(days=6)
    return Table(
        name=f"trends_by_{dimension}",
        title=f"This week against last, by {dimension}",
        columns=[dimension, "this_week", "last_week", "change_percent", "p_value", "flag"],
        rows=_trend_rows(found),
        unit="complaints",
        meta={
            "this_week": [first.isoformat(), filters.end.isoformat()],
            "last_week": [(first - timedelta(days=7)).isoformat(), (filters.end - timedelta(days=7)).isoformat()],
        },
    )


CHARTS: dict[str, Callable[[DashboardFilters], Table]] = {
    "volume_by_source": lambda f: volume_by(f, dimension="source"),
    "volume_by_category": lambda f: volume_by(f, dimension="category"),
    "backlog": backlog,
    "response_times": response_times,
    "trends_by_category": lambda f: trends(f, dimension=Dimension.CATEGORY),
    "trends_by_source": lambda f: trends(f, dimension=Dimension.SOURCE),
    "filtered": filtered_volume,
}


def dashboard_tables(filters: DashboardFilters) -> dict[str, Table]:
    return {name: build(filters) for name, build in CHARTS.items()}


def rollup_freshness() -> dict[str, Any]:
    """When the figures were last brought up to date, and how much waits."""
    state = RollupState.objects.filter(name="rollups").first()
    queue = RollupDirtyDay.objects.aggregate(days=Count("day"), oldest=Min("day"))
    finished: datetime | None = state.last_finished_at if state else None
    return {
        "last_finished_at": finished.isoformat() if finished else None,
        "days_queued": queue["days"],
        "oldest_day_queued": queue["oldest"].isoformat() if queue["oldest"] else None,
        "last_run_failed": bool(state and state.last_error),
    }


def sources_seen() -> list[str]:
    return list(RollupDailyFlow.objects.order_by().values_list("source", flat=True).distinct())
