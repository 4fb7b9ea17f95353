"""What every call-log parser yields: calls, rejected rows, and the turn-by-turn transcript.

A parser never touches the database or the lake: it reads a byte stream and yields
`CallRecord`s (one call each) and `RowReject`s (a row that could not be read, with its line
number and the reason). `FileFormatError` means the file as a whole is unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.timeparse import TimeParseError, from_epoch, is_ambiguous, is_nonexistent, localize, parse_any

# The speakers whose words are the customer's. Anything else (agent, IVR, bot, supervisor) is not.
CUSTOMER_SPEAKERS = frozenset({"customer", "caller", "client", "cust", "consumer"})
AGENT_SPEAKERS = frozenset({"agent", "rep", "representative", "operator", "advisor", "staff"})
MAX_CALL_ID_LENGTH = 255
MAX_REJECT_CONTENT = 4000


class FileFormatError(ValueError):
    """The file cannot be read at all (unknown format, no header, broken compression)."""


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str
    text: str
    role: str = field(init=False)  # customer | agent | the speaker's own name

    def __post_init__(self) -> None:
        name = self.speaker.strip().lower()
        role = "customer" if name in CUSTOMER_SPEAKERS else "agent" if name in AGENT_SPEAKERS else name or "unknown"
        object.__setattr__(self, "role", role)  # computed once: a 100k-call file asks it a million times

    def as_json(self) -> dict[str, str]:
        return {"speaker": self.speaker, "role": self.role, "text": self.text}


@dataclass
class CallRecord:
    call_id: str
    occurred_at: datetime  # aware, UTC
    line: int  # the line the record starts on (1-based)
    turns: list[Turn] | None  # None: the record carries no transcript
    duration_seconds: float | None = None
    caller: str = ""
    agent: str = ""
    queue: str = ""
    # Records re-delivered with a newer version replace older ones (Amazon Connect's
    # LastUpdateTimestamp, as an ISO string in UTC: comparable as text).
    version: str = ""
    time_note: str = ""  # "dst_gap" or "dst_overlap" when a naive local time was not plain
    extra: dict[str, Any] = field(default_factory=dict)
    transcript_text: str | None = None  # a free-text transcript without speaker labels

    def customer_text(self) -> str:
        """The customer's side of the conversation: what the classifier reads."""
        if self.turns is None:
            return self.transcript_text or ""
        return "\n".join(turn.text for turn in self.turns if turn.role == "customer" and turn.text.strip())

    def transcript_json(self) -> list[dict[str, str]] | str | None:
        if self.turns is not None:
            return [turn.as_json() for turn in self.turns]
        return self.transcript_text


@dataclass(frozen=True)
class RowReject:
    line: int
    reason: str
    content: str = ""
    record: int | None = None  # the record's position, where lines do not separate records

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "reason": self.reason, "content": self.content[:MAX_REJECT_CONTENT]}
        if self.record is not None:
            out["record"] = self.record
        return out


Parsed = CallRecord | RowReject


class RowError(ValueError):
    """A field of one row is wrong; becomes a RowReject with the row's line number."""


# -- shared field readers ---------------------------------------------------------------------
def read_call_id(value: object) -> str:
    if isinstance(value, bool) or value is None:
        raise RowError("call_id is missing")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RowError("call_id is missing")
    value = value.strip()
    if len(value) > MAX_CALL_ID_LENGTH:
        raise RowError(f"call_id is longer than {MAX_CALL_ID_LENGTH} characters")
    return value


# Exports from call-centre tools write dates as 25/03/2025 14:05 (day first in most of the world,
# month first in the US): with four-digit years at the end, read in CALL_LOG_DATE_ORDER.
_CLOCK_PART = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _CLOCK_PART)
_YEAR_FIRST_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})" + _CLOCK_PART)  # 2025/03/25 14:05


def read_timestamp(
    value: object, *, zone: ZoneInfo, field_name: str = "timestamp", date_order: str = "DMY"
) -> tuple[datetime, str]:
    """The call's start as a UTC instant, and a note when a naive local time fell on a DST edge.

    Accepted, as call-centre exports write them: ISO-8601 (offset or naive), epoch seconds or
    milliseconds (number or digits), RFC 2822, and dd/mm/yyyy [hh:mm[:ss] [am|pm]] (or mm/dd/yyyy
    with `date_order="MDY"`; "/", "." or "-" between the parts). A naive time is wall-clock time
    in `zone`.
    """
    try:
        return _read_timestamp(value, zone=zone, field_name=field_name, date_order=date_order)
    except OverflowError:
        # Year 1 or 9999 (a spreadsheet's "no date" sentinel) shifted by the zone's offset leaves
        # datetime's range: a bad row, not a crash that fails the whole file at every retry.
        raise RowError(f"{field_name}: {value!r} is out of range once converted to UTC") from None


def _read_timestamp(value: object, *, zone: ZoneInfo, field_name: str, date_order: str) -> tuple[datetime, str]:
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{field_name} is missing")
    if isinstance(value, (int, float)):
        try:
            return from_epoch(value), ""
        except TimeParseError as exc:
            raise RowError(f"{field_name}: {exc}") from exc
    if not isinstance(value, str):
        raise RowError(f"{field_name} must be a date and time or an epoch number, not {type(value).__name__}")
    text = value.strip()
    numeric = _NUMERIC_DATE.match(text) or _YEAR_FIRST_DATE.match(text)
    if numeric is not None:
        naive = _numeric_date(numeric, date_order=date_order, field_name=field_name)
        return localize(naive, zone), _dst_note(naive, zone)
    try:
        instant = parse_any(text, default_zone=zone)
    except TimeParseError as exc:
        if re.match(r"\d{4}-\d{2}-\d{2}", text):  # meant as ISO-8601: say what is wrong with it
            raise RowError(f"{field_name}: {exc}") from exc
        raise RowError(
            f"{field_name}: not a date and time: {text!r} "
            "(expected ISO-8601, epoch seconds, RFC 2822 or dd/mm/yyyy hh:mm)"
        ) from exc
    return instant, naive_time_note(text, zone)


def _numeric_date(match: re.Match[str], *, date_order: str, field_name: str) -> datetime:
    first, second, third, hour, minute, second_s, fraction, meridiem = match.groups()
    if len(first) == 4:  # year first: always year/month/day
        year, month, day = first, second, third
        date_order = "YMD"
    else:
        year = third
        day, month = (first, second) if date_order.upper() != "MDY" else (second, first)
    hours = int(hour or 0)
    if meridiem:
        if not 1 <= hours <= 12:
            raise RowError(f"{field_name}: hour {hours} with {meridiem}")
        hours = hours % 12 + (12 if meridiem[0] in "Pp" else 0)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            hours,
            int(minute or 0),
            int(second_s or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        order = {"MDY": "month/day/year", "YMD": "year/month/day"}.get(date_order.upper(), "day/month/year")
        raise RowError(f"{field_name}: {match.group(0)!r} is not a date read as {order}: {exc}") from None


def naive_time_note(value: str, zone: ZoneInfo) -> str:
    """Name the DST edge a naive local time falls on, so the choice made is visible downstream."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return ""
    if parsed.tzinfo is not None:
        return ""
    return _dst_note(parsed, zone)


def _dst_note(naive: datetime, zone: ZoneInfo) -> str:
    if is_nonexistent(naive, zone):
        return "dst_gap"
    if is_ambiguous(naive, zone):
        return "dst_overlap"
    return ""


# "0:04:12", "04:12" (minutes and seconds), "252", "252.5", "252s", "252 sec", "4m 12s".
_CLOCK_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{2}(?:\.\d+)?)$")
_UNIT_DURATION = re.compile(
    r"^(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?\s*)?(?:(\d+(?:\.\d+)?)\s*m(?:in(?:utes?|s)?)?\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*s(?:ec(?:onds?|s)?)?)?$",
    re.IGNORECASE,
)


def read_duration(value: object, *, required: bool = True) -> float | None:
    """Seconds, from a number or the forms exports write: "252", "0:04:12", "04:12", "4m 12s"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError("call_duration is missing")
        return None
    if isinstance(value, bool):
        raise RowError(f"call_duration is not a number of seconds: {value!r}")
    seconds = _duration_seconds(value)
    if seconds is None:
        raise RowError(f"call_duration is not a number of seconds: {value!r}")
    if seconds != seconds or seconds < 0 or seconds > 7 * 24 * 3600:
        raise RowError(f"call_duration out of range: {value!r}")
    return seconds


def _duration_seconds(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    clock = _CLOCK_DURATION.match(text)
    if clock is not None:
        hours, minutes, secs = clock.groups()
        # Two parts are minutes and seconds ("75:30" too): exports write short calls that way.
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    units = _UNIT_DURATION.match(text)
    if units is not None and any(units.groups()):
        hours_u, minutes_u, seconds_u = (float(part or 0) for part in units.groups())
        return hours_u * 3600 + minutes_u * 60 + seconds_u
    return None


def read_optional_text(mapping: dict[str, Any], name: str, *, limit: int = 255) -> str:
    value = mapping.get(name)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RowError(f"{name} must be text")
    return value.strip()[:limit]


_SPEAKER_WORDS = sorted(CUSTOMER_SPEAKERS | AGENT_SPEAKERS | {"ivr", "bot", "system"}, key=len, reverse=True)
# A speaker label: a known speaker word, maybe numbered or with a name ("Customer 2:",
# "Agent (Priya):"), maybe after a clock time ("[00:01:12] Customer:"), followed by ":" or ">".
# It starts a line, or follows the end of a sentence on the same line: exports often flatten a
# conversation into one line ("Agent: How can I help? Customer: My bill is wrong."), while "I told
# the agent: no" is not a label.
_SPEAKER_LABEL = re.compile(
    r"(?:^|(?<=[.!?])[ \t]+)[ \t]*"
    r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?[ \t]*(?:-[ \t]*)?)?"
    r"(" + "|".join(_SPEAKER_WORDS) + r")(?:[ \t]*\d{1,2})?(?:[ \t]*\([^()\n]{0,40}\))?[ \t]*[:>][ \t]*",
    re.IGNORECASE | re.MULTILINE,
)


def turns_from_labelled_text(text: str) -> list[Turn] | None:
    """'Agent: ...' / 'Customer: ...' as turns; None if the text has no speaker labels.

    Only known speakers count as labels, so a customer saying "Note: ..." is not mistaken for a
    speaker called Note. A turn runs until the next label, across lines.
    """
    labels = list(_SPEAKER_LABEL.finditer(text))
    if not labels:
        return None
    turns: list[Turn] = []
    before = _one_line(text[: labels[0].start()])
    if before:
        turns.append(Turn(speaker="", text=before))
    for position, label in enumerate(labels):
        end = labels[position + 1].start() if position + 1 < len(labels) else len(text)
        turns.append(Turn(speaker=label.group(1), text=_one_line(text[label.end() : end])))
    return turns


def _one_line(chunk: str) -> str:
    return " ".join(line.strip() for line in chunk.splitlines() if line.strip())


def turns_from_list(items: Iterable[object]) -> list[Turn]:
    turns: list[Turn] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RowError(f"transcript turn {position} is not an object with speaker and text")
        # Exporters write null for a turn with no words (silence, hold music): an empty turn, not a bad row.
        speaker, text = item.get("speaker") or "", item.get("text") or ""
        if not isinstance(speaker, str) or not isinstance(text, str):
            raise RowError(f"transcript turn {position}: speaker and text must be text")
        turns.append(Turn(speaker=speaker.strip(), text=text.strip()))
    return turns


def iter_lines(stream: Iterable[bytes], *, first_line: int = 1) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line without the newline) from a binary stream, one line in memory.

    `first_line` is the number of the stream's first line: a chunk of a larger file keeps the
    file's own line numbers (ingestion/calllogs/fanout.py)."""
    for number, raw in enumerate(stream, start=first_line):
        yield number, raw.rstrip(b"\r\n")
