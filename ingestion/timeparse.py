"""Each source's timestamps, parsed by its own rules into aware UTC datetimes (ARCHITECTURE rule 6).

Naive local times are the dangerous ones: a wall-clock time can fall in a DST gap (does not exist)
or overlap (exists twice). `localize` makes the choice explicit instead of letting it happen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class TimeParseError(ValueError):
    pass


# Epochs after 2001-09-09 have 10 digits in seconds and 13 in milliseconds; anything between
# these bounds is unambiguous for any date from 1973 to 2286.
_MS_THRESHOLD = 100_000_000_000


def from_epoch(value: int | float | str) -> datetime:
    """Epoch seconds or milliseconds (number or numeric string), told apart by magnitude."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise TimeParseError(f"not an epoch timestamp: {value!r}") from exc
    if number != number or number < 0:  # NaN or negative
        raise TimeParseError(f"not an epoch timestamp: {value!r}")
    if number >= _MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise TimeParseError(f"epoch timestamp out of range: {value!r}") from exc


def get_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeParseError(f"unknown time zone {name!r}") from exc


def localize(naive: datetime, zone: ZoneInfo | str, *, fold: int = 0, gap: str = "forward") -> datetime:
    """Attach `zone` to a naive wall-clock time and convert to UTC.

    Overlap (the repeated hour when summer time ends): `fold=0` takes the first (summer) instant,
    `fold=1` the second; callers with better evidence (an epoch beside the time) pass it.
    Gap (the skipped hour when summer time starts): the time does not exist. `gap="forward"` reads
    it with the offset from before the jump, which moves it forward by the DST shift (what a clock
    that was not yet changed meant); `gap="error"` raises.
    """
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    tz = get_zone(zone) if isinstance(zone, str) else zone
    candidate = naive.replace(tzinfo=tz, fold=fold)
    round_trip = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive.replace(fold=0):
        if gap == "error":
            raise TimeParseError(f"{naive.isoformat()} does not exist in {tz.key} (DST gap)")
        # Offset in force just before the gap.
        before = (naive - timedelta(hours=3)).replace(tzinfo=tz)
        return (naive.replace(tzinfo=None) - before.utcoffset()).replace(tzinfo=UTC)  # type: ignore[operator]
    return candidate.astimezone(UTC)


def is_ambiguous(naive: datetime, zone: ZoneInfo | str) -> bool:
    tz = get_zone(zone) if isinstance(zone, str) else zone
    first = naive.replace(tzinfo=tz, fold=0).utcoffset()
    second = naive.replace(tzinfo=tz, fold=1).utcoffset()
    return first != second and localize(naive, tz, fold=0) != localize(naive, tz, fold=1)


_ISO_Z = re.compile(r"[zZ]$")
_ISO_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_iso(value: str, *, default_zone: ZoneInfo | str | None = None) -> datetime:
    """ISO-8601 with Z or an offset (also the compact +0000 form); a naive value needs `default_zone`."""
    text = value.strip()
    if not text:
        raise TimeParseError("empty timestamp")
    text = _ISO_Z.sub("+00:00", text)
    text = _ISO_COMPACT_OFFSET.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text and " " in text else text)
    except ValueError as exc:
        raise TimeParseError(f"not an ISO-8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        if default_zone is None:
            raise TimeParseError(f"timestamp {value!r} has no offset and no zone is configured")
        return localize(parsed, default_zone)
    return parsed.astimezone(UTC)


def parse_rfc2822(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise TimeParseError(f"not an RFC 2822 date: {value!r}") from exc
    if parsed.tzinfo is None:
        raise TimeParseError(f"RFC 2822 date without a zone: {value!r}")
    return parsed.astimezone(UTC)


def parse_any(value: object, *, default_zone: ZoneInfo | str | None = None) -> datetime:
    """Epoch (s or ms, number or digits), ISO-8601 or RFC 2822, whichever `value` is."""
    if isinstance(value, datetime):
        return localize(value, default_zone) if value.tzinfo is None and default_zone else value.astimezone(UTC)
    if isinstance(value, bool):
        raise TimeParseError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return from_epoch(text)
        if re.match(r"\d{4}-\d{2}-\d{2}", text):
            return parse_iso(text, default_zone=default_zone)
        return parse_rfc2822(text)
    raise TimeParseError(f"not a timestamp: {value!r}")


def is_nonexistent(naive: datetime, zone: ZoneInfo | str) -> bool:
    """True when the wall-clock time falls in the hour skipped at the start of summer time."""
    tz = get_zone(zone) if isinstance(zone, str) else zone
    round_trip = naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return round_trip != naive.replace(tzinfo=None, fold=0)


def localize_near(naive: datetime, zone: ZoneInfo | str, *, near: datetime | None) -> datetime:
    """Like `localize`, but an overlap is settled by evidence: the instant closest to `near`.

    Systems that log local wall-clock time often log an epoch beside it (Asterisk's `uniqueid`);
    in the repeated hour the two candidate instants are an hour apart, so the epoch (accurate to
    seconds) picks the right one. Without `near`, the first instant (fold=0) is taken.
    """
    tz = get_zone(zone) if isinstance(zone, str) else zone
    if near is None or not is_ambiguous(naive, tz):
        return localize(naive, tz)
    first, second = localize(naive, tz, fold=0), localize(naive, tz, fold=1)
    near = near.astimezone(UTC)
    return first if abs(first - near) <= abs(second - near) else second
