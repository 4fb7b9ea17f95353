"""Local days and hours of the internal time zone (settings.TIME_ZONE), DST included.

A local day runs from one local midnight to the next: 23 hours when clocks go forward, 25 when
they go back. Hours are bucketed in Python rather than with SQL's date_trunc on a local
timestamp, because on the day clocks go back the repeated local hour (01:00-02:00 in London)
would otherwise merge two real hours into one bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings


def internal_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC. A midnight skipped by DST maps to when clocks jumped."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def hour_start(at: datetime, tz: tzinfo) -> tuple[datetime, int]:
    """The first instant (UTC) of the local hour holding `at`, and that hour's number (0-23).

    astimezone() sets `fold` on the repeated hour, and replace() keeps it, so the two 01:00
    hours of the day clocks go back come back to two different UTC instants.
    """
    local = at.astimezone(tz)
    start = local.replace(minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), local.hour


def days_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())
