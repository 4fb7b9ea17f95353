"""Week-over-week change per source and per category, flagged when it is large and not noise.

Two periods of equal length are compared with a binomial test on their counts (stats.py), and a
change is flagged only when (a) the two periods hold at least REPORTING_TREND_MIN_COUNT
complaints, (b) it is at least REPORTING_TREND_MIN_CHANGE in size, and (c) its p-value is below
REPORTING_TREND_MAX_P_VALUE. Whole weeks are compared, so the weekday pattern cancels out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from warehouse.reporting.models import RollupDailyFlow, RollupWeeklyTrend
from warehouse.reporting.stats import rate_change_p_value
from warehouse.reporting.timebuckets import week_start

Dimension = RollupWeeklyTrend.Dimension
Direction = RollupWeeklyTrend.Direction


@dataclass(frozen=True)
class Trend:
    dimension: str
    value: str
    current: int
    previous: int
    change: float | None  # None when the previous period had none
    p_value: float
    direction: str  # "rising", "falling" or "" (not flagged)

    @property
    def flagged(self) -> bool:
        return bool(self.direction)


def trend_judge(*, dimension: str, value: str, current: int, previous: int) -> Trend:
    change = (current - previous) / previous if previous else None
    p_value = rate_change_p_value(current, previous)
    large = change is None or abs(change) >= settings.REPORTING_TREND_MIN_CHANGE
    flagged = (
        current + previous >= settings.REPORTING_TREND_MIN_COUNT
        and large
        and p_value < settings.REPORTING_TREND_MAX_P_VALUE
    )
    direction = ""
    if flagged:
        direction = Direction.RISING if current > previous else Direction.FALLING
    return Trend(dimension, value, current, previous, change, p_value, direction)


def trends_compare(*, dimension: str, current: Mapping[str, int], previous: Mapping[str, int]) -> list[Trend]:
    """Every value seen in either period, flagged ones first, then the largest current counts."""
    trends = [
        trend_judge(dimension=dimension, value=value, current=current.get(value, 0), previous=previous.get(value, 0))
        for value in set(current) | set(previous)
    ]
    return sorted(trends, key=lambda t: (not t.flagged, -t.current, t.value))


def period_counts(*, first: date, last: date, dimension: str, source: str | None = None) -> Counter[str]:
    """Complaints received from `first` to `last` (local days, inclusive) per source or category."""
    rows = RollupDailyFlow.objects.filter(day__gte=first, day__lte=last)
    if source:
        rows = rows.filter(source=source)
    counts: Counter[str] = Counter()
    for row in rows.order_by().values(dimension).annotate(n=Sum("received")):
        if row["n"]:
            counts[row[dimension]] += row["n"]
    return counts


def trends_for_week(*, last_day: date, dimension: str, source: str | None = None) -> list[Trend]:
    """The 7 days ending on `last_day` against the 7 days before them."""
    first = last_day - timedelta(days=6)
    current = period_counts(first=first, last=last_day, dimension=dimension, source=source)
    previous = period_counts(
        first=first - timedelta(days=7), last=last_day - timedelta(days=7), dimension=dimension, source=source
    )
    return trends_compare(dimension=dimension, current=current, previous=previous)


def weekly_trends_refresh(*, days: Iterable[date], today: date) -> int:
    """Recompute the stored trends of the complete weeks that changing these days affects.

    A day counts in its own week and, as "the week before", in the next one. Weeks not yet over
    (today falls in them) are left out: a part week against a whole one says nothing.
    """
    weeks: set[date] = set()
    for day in days:
        monday = week_start(day)
        weeks.update((monday, monday + timedelta(days=7)))
    written = 0
    for monday in sorted(weeks):
        if monday + timedelta(days=7) > today:
            continue
        rows = [
            RollupWeeklyTrend(
                week_start=monday,
                dimension=trend.dimension,
                value=trend.value,
                complaints=trend.current,
                previous_complaints=trend.previous,
                change=trend.change,
                p_value=trend.p_value,
                direction=trend.direction,
            )
            for dimension in (Dimension.SOURCE, Dimension.CATEGORY)
            for trend in trends_for_week(last_day=monday + timedelta(days=6), dimension=dimension)
        ]
        with transaction.atomic():
            RollupWeeklyTrend.objects.filter(week_start=monday).delete()
            RollupWeeklyTrend.objects.bulk_create(rows)
        written += len(rows)
    return written
