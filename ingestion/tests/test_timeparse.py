"""Each source's timestamp rules, into UTC, with DST gaps and overlaps made explicit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestion.timeparse import TimeParseError, from_epoch, is_ambiguous, localize, parse_any, parse_iso, parse_rfc2822

LONDON = "Europe/London"


def test_epoch_seconds_and_milliseconds_are_told_apart_by_magnitude() -> None:
    expected = datetime(2025, 10, 25, 16, 15, 31, tzinfo=UTC)
    assert from_epoch(1761408931) == expected
    assert from_epoch("1761408931") == expected
    assert from_epoch(1761408931000) == expected
    assert from_epoch("1761408931000") == expected


def test_iso_with_z_offset_and_compact_offset() -> None:
    expected = datetime(2025, 10, 25, 16, 2, 11, tzinfo=UTC)
    assert parse_iso("2025-10-25T16:02:11Z") == expected
    assert parse_iso("2025-10-25T17:02:11+01:00") == expected
    assert parse_iso("2025-10-25T16:02:11+0000") == expected


def test_a_naive_time_takes_the_configured_zone() -> None:
    assert parse_iso("2026-07-01 12:00:00", default_zone=LONDON) == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    with pytest.raises(TimeParseError, match="no offset"):
        parse_iso("2026-07-01 12:00:00")


def test_rfc_2822() -> None:
    assert parse_rfc2822("Sat, 25 Oct 2025 17:02:11 +0100") == datetime(2025, 10, 25, 16, 2, 11, tzinfo=UTC)


def test_the_repeated_hour_in_autumn_is_ambiguous_and_fold_picks_the_instant() -> None:
    naive = datetime(2025, 10, 26, 1, 30)
    assert is_ambiguous(naive, LONDON)
    assert localize(naive, LONDON, fold=0) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # BST
    assert localize(naive, LONDON, fold=1) == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # GMT
    assert not is_ambiguous(datetime(2025, 10, 26, 3, 30), LONDON)


def test_the_skipped_hour_in_spring_moves_forward_or_raises() -> None:
    gap = datetime(2026, 3, 29, 1, 30)  # clocks jump from 01:00 to 02:00 in London
    assert localize(gap, LONDON) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with pytest.raises(TimeParseError, match="DST gap"):
        localize(gap, LONDON, gap="error")


def test_parse_any_dispatches_and_refuses_nonsense() -> None:
    assert parse_any("1761408931") == datetime(2025, 10, 25, 16, 15, 31, tzinfo=UTC)
    assert parse_any("2025-10-25T16:15:31Z") == datetime(2025, 10, 25, 16, 15, 31, tzinfo=UTC)
    for bad in ("yesterday", "", None, True, "-5"):
        with pytest.raises(TimeParseError):
            parse_any(bad)
