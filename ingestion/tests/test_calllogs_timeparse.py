"""The timeparse additions the call logs need: naming the DST gap, and settling the overlap by evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from ingestion.timeparse import is_nonexistent, localize_near

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def test_a_time_in_the_spring_gap_is_nonexistent_and_its_neighbours_are_not() -> None:
    assert is_nonexistent(datetime(2026, 3, 29, 1, 30), LONDON)
    assert not is_nonexistent(datetime(2026, 3, 29, 0, 59), LONDON)
    assert not is_nonexistent(datetime(2026, 3, 29, 2, 0), LONDON)
    assert not is_nonexistent(datetime(2025, 10, 26, 1, 30), LONDON)  # the overlap exists (twice)
    assert is_nonexistent(datetime(2026, 3, 8, 2, 15), NEW_YORK)


def test_the_overlap_takes_the_instant_nearest_the_evidence() -> None:
    naive = datetime(2025, 10, 26, 1, 30)
    summer, winter = datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    assert localize_near(naive, LONDON, near=summer) == summer
    assert localize_near(naive, LONDON, near=winter) == winter
    # Seconds of clock skew between the epoch and the wall-clock time change nothing.
    assert localize_near(naive, LONDON, near=winter.replace(second=3)) == winter
    # Without evidence: the first instant, as localize does.
    assert localize_near(naive, LONDON, near=None) == summer


def test_outside_the_overlap_the_evidence_is_not_needed() -> None:
    far = datetime(2000, 1, 1, tzinfo=UTC)
    assert localize_near(datetime(2025, 7, 1, 12, 0), LONDON, near=far) == datetime(2025, 7, 1, 11, 0, tzinfo=UTC)
    assert localize_near(datetime(2026, 3, 29, 1, 30), LONDON, near=far) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
