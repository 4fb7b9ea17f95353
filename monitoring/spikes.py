"""Volume spikes per source and per category, against a time-of-day-aware baseline.

The window just ended (SPIKE_WINDOW_MINUTES, 15 by default) is compared with the same
weekday and time of day in each of the previous SPIKE_BASELINE_WEEKS weeks, plus the
SPIKE_NEIGHBOUR_WINDOWS windows either side of it (so a quarter of an hour's drift in the
daily rhythm does not matter). Weeks are counted in wall-clock time of TIME_ZONE: after a
daylight-saving change, Monday 09:00 is still compared with Monday 09:00.

Robust statistics: the median and the median absolute deviation of the baseline counts, so one
past incident in the baseline does not hide the next. A window is a spike when its count is at
least all of: SPIKE_MIN_COUNT; the median times SPIKE_MIN_RATIO; and the median plus
SPIKE_MAD_THRESHOLD robust standard deviations (1.4826 x MAD, floored at sqrt(median), the
Poisson noise of a count, because a perfectly flat history has MAD 0).
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from monitoring.alerts import alert_volume_spike
from monitoring.models import VolumeSpike

logger = logging.getLogger(__name__)

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Verdict:
    count: int
    median: float
    mad: float
    samples: int
    threshold: float
    is_spike: bool


def window_current(*, now: datetime, minutes: int, step_minutes: int) -> Window:
    """The last complete window, its end on a step boundary (UTC epoch), so runs agree on it."""
    step = step_minutes * 60
    end_ts = math.floor(now.timestamp() / step) * step
    end = datetime.fromtimestamp(end_ts, UTC)
    return end - timedelta(minutes=minutes), end


def baseline_windows(*, window: Window, weeks: int, neighbours: int, zone: ZoneInfo) -> list[Window]:
    """The same weekday and wall-clock time in each earlier week, with neighbouring windows."""
    start, end = window
    length = end - start
    local_end = end.astimezone(zone).replace(tzinfo=None)
    windows: list[Window] = []
    for week in range(1, weeks + 1):
        # Wall-clock arithmetic, then back to UTC: DST shifts the UTC hour, not the local one.
        then = _aware(local_end - timedelta(weeks=week), zone)
        for shift in range(-neighbours, neighbours + 1):
            w_end = then + shift * length
            windows.append((w_end - length, w_end))
    return windows


def _aware(naive: datetime, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first of a repeated hour; a time in a DST gap maps forward. Both are
    # harmless for a baseline sample.
    return naive.replace(tzinfo=zone).astimezone(UTC)


def verdict(*, count: int, baseline: list[int]) -> Verdict:
    median = float(statistics.median(baseline)) if baseline else 0.0
    mad = float(statistics.median([abs(x - median) for x in baseline])) if baseline else 0.0
    sigma = max(1.4826 * mad, math.sqrt(max(median, 1.0)))
    threshold = max(
        float(settings.SPIKE_MIN_COUNT),
        median * float(settings.SPIKE_MIN_RATIO),
        median + float(settings.SPIKE_MAD_THRESHOLD) * sigma,
    )
    enough = len(baseline) >= int(settings.SPIKE_MIN_BASELINE_SAMPLES)
    return Verdict(
        count=count,
        median=median,
        mad=mad,
        samples=len(baseline),
        threshold=threshold,
        is_spike=enough and count >= threshold,
    )


# --- what is counted --------------------------------------------------------------------------
def _source_counts(start: datetime, end: datetime) -> dict[str, int]:
    from ingestion.models import Message

    rows = Message.objects.filter(received_at__gte=start, received_at__lt=end).values("source").annotate(n=Count("id"))
    return {row["source"]: row["n"] for row in rows}


def _category_counts(start: datetime, end: datetime) -> dict[str, int]:
    from warehouse.models import Complaint

    rows = (
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        .exclude(category="")
        .values("category")
        .annotate(n=Count("id"))
    )
    return {row["category"]: row["n"] for row in rows}


def _first_seen(queryset: QuerySet) -> datetime | None:  # type: ignore[type-arg]
    return queryset.aggregate(first=Min("received_at"))["first"]


def _scopes() -> list[tuple[str, Callable[[datetime, datetime], dict[str, int]], datetime | None]]:
    from ingestion.models import Message
    from warehouse.models import Complaint

    return [
        (VolumeSpike.Scope.SOURCE, _source_counts, _first_seen(Message.objects.all())),
        (VolumeSpike.Scope.CATEGORY, _category_counts, _first_seen(Complaint.objects.exclude(category=""))),
    ]


# --- detection --------------------------------------------------------------------------------
def spikes_detect(*, now: datetime | None = None) -> list[VolumeSpike]:
    """Check the last window of every source and category; record and announce new spikes."""
    now = now or timezone.now()
    window = window_current(
        now=now, minutes=int(settings.SPIKE_WINDOW_MINUTES), step_minutes=int(settings.SPIKE_STEP_MINUTES)
    )
    history = baseline_windows(
        window=window,
        weeks=int(settings.SPIKE_BASELINE_WEEKS),
        neighbours=int(settings.SPIKE_NEIGHBOUR_WINDOWS),
        zone=ZoneInfo(settings.TIME_ZONE),
    )
    found: list[VolumeSpike] = []
    for scope, counts_for, first_seen in _scopes():
        current = counts_for(*window)
        if not current:
            continue
        # A week before the first record is not "zero complaints", it is "not installed yet".
        usable = [w for w in history if first_seen is not None and w[0] >= first_seen]
        past = [counts_for(*w) for w in usable]
        for key, count in sorted(current.items()):
            result = verdict(count=count, baseline=[p.get(key, 0) for p in past])
            if result.is_spike:
                spike = _spike_record(scope=scope, key=key, window=window, result=result)
                if spike is not None:
                    found.append(spike)
    return found


def _spike_record(*, scope: str, key: str, window: Window, result: Verdict) -> VolumeSpike | None:
    """One row and one alert per (scope, key, window), however many times detection runs."""
    try:
        with transaction.atomic():
            spike = VolumeSpike.objects.create(
                scope=scope,
                key=key,
                window_start=window[0],
                window_end=window[1],
                count=result.count,
                baseline_median=result.median,
                baseline_mad=result.mad,
                baseline_samples=result.samples,
                threshold=result.threshold,
            )
    except IntegrityError:
        return None
    logger.warning("volume spike: %s %s %d (usual %.1f)", scope, key, result.count, result.median)
    alert_volume_spike(
        scope=scope, key=key, count=result.count, baseline=result.median, window_start=window[0], window_end=window[1]
    )
    return spike
