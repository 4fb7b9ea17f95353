"""Week-over-week trends: large changes beyond noise are flagged, small or sparse ones are not."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from scipy.stats import binomtest

from warehouse.models import Complaint
from warehouse.reporting.models import RollupWeeklyTrend
from warehouse.reporting.rollups import rollups_catch_up, rollups_requeue
from warehouse.reporting.stats import percentile_cont, rate_change_p_value
from warehouse.reporting.trends import trend_judge, trends_for_week
from warehouse.tests.reporting_helpers import utc

WEEK_1 = date(2026, 11, 2)  # a Monday
WEEK_2 = date(2026, 11, 9)


@pytest.mark.parametrize(("current", "previous"), [(40, 10), (12, 10), (5, 0), (0, 30), (1000, 900), (7, 7)])
def test_the_p_value_is_the_exact_two_sided_binomial_test(current: int, previous: int) -> None:
    assert rate_change_p_value(current, previous) == pytest.approx(
        binomtest(current, current + previous, 0.5).pvalue, rel=1e-9
    )


def test_percentile_cont_interpolates_like_postgresql() -> None:
    assert percentile_cont([10, 1, 4, 3], 0.5) == 3.5
    assert percentile_cont([1, 2, 3, 4, 10], 0.9) == pytest.approx(7.6)
    assert percentile_cont([], 0.5) is None


def test_a_fourfold_rise_on_a_decent_count_is_flagged_rising(settings) -> None:
    trend = trend_judge(dimension="category", value="delivery", current=40, previous=10)
    assert trend.direction == "rising" and trend.change == 3.0 and trend.p_value < 0.001


def test_a_small_change_is_not_flagged_even_on_large_counts(settings) -> None:
    # 1100 against 1000 is "significant" (p ~ 0.03) at this size, but only 10 %: below the 25 % bar.
    settings.REPORTING_TREND_MAX_P_VALUE = 0.05
    assert trend_judge(dimension="source", value="sms", current=1100, previous=1000).direction == ""


def test_a_jump_on_few_complaints_is_noise_and_not_flagged(settings) -> None:
    assert trend_judge(dimension="category", value="fraud_security", current=6, previous=1).direction == ""
    # ... and a category out of nowhere needs the minimum count too.
    assert trend_judge(dimension="category", value="fraud_security", current=12, previous=0).direction == ""
    assert trend_judge(dimension="category", value="fraud_security", current=25, previous=0).direction == "rising"


def test_a_collapse_is_flagged_falling(settings) -> None:
    assert trend_judge(dimension="source", value="social", current=5, previous=60).direction == "falling"


def _complaints(day: date, category: str, count: int, source: str = "sms") -> list[Complaint]:
    at = utc(f"{day.isoformat()}T12:00")
    return [
        Complaint(
            reference=f"CMP-W-{category[:4]}-{day:%m%d}-{i}",
            source=source,
            channel=source,
            external_id=f"{category}-{day}-{i}-{source}",
            message_id=__import__("uuid").uuid4(),
            text="x",
            category=category,
            occurred_at=at,
            received_at=at,
        )
        for i in range(count)
    ]


@pytest.mark.django_db
def test_the_job_stores_weekly_trends_for_complete_weeks_only(settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    rows: list[Complaint] = []
    for offset in range(7):
        rows += _complaints(WEEK_1 + timedelta(days=offset), "delivery", 2)  # 14 in week 1
        rows += _complaints(WEEK_2 + timedelta(days=offset), "delivery", 8)  # 56 in week 2
        rows += _complaints(WEEK_1 + timedelta(days=offset), "billing", 5)  # 35 and 35
        rows += _complaints(WEEK_2 + timedelta(days=offset), "billing", 5)
    rows += _complaints(WEEK_2 + timedelta(days=7), "billing", 50)  # Monday of an unfinished week
    Complaint.objects.bulk_create(rows)
    rollups_requeue(since=WEEK_1, until=WEEK_2 + timedelta(days=7))

    rollups_catch_up(now=utc("2026-11-16T18:00"))  # during the week of the 16th

    stored = {
        (t.week_start, t.dimension, t.value): (t.complaints, t.previous_complaints, t.direction)
        for t in RollupWeeklyTrend.objects.all()
    }
    assert stored[(WEEK_2, "category", "delivery")] == (56, 14, "rising")
    assert stored[(WEEK_2, "category", "billing")] == (35, 35, "")
    assert stored[(WEEK_2, "source", "sms")] == (91, 49, "rising")
    assert stored[(WEEK_1, "category", "delivery")] == (14, 0, "")  # nothing before: below the minimum count
    assert not any(week == WEEK_2 + timedelta(days=7) for week, _, _ in stored)
    # The dashboard's rolling window ending on the last Sunday gives the same answer.
    live = {t.value: t for t in trends_for_week(last_day=WEEK_2 + timedelta(days=6), dimension="category")}
    assert (live["delivery"].current, live["delivery"].previous, live["delivery"].flagged) == (56, 14, True)
