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

from ingestion.timeparse import TimeParseError, is_ambiguous, is_nonexistent, parse_iso

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


def read_timestamp(value: object, *, zone: ZoneInfo, field_name: str = "timestamp") -> tuple[datetime, str]:
    """ISO-8601; a naive value is wall-clock time in `zone`. Returns (UTC instant, time note)."""
    if not isinstance(value, str) or not value.strip():
        raise RowError(f"{field_name} is missing")
    try:
        instant = parse_iso(value, default_zone=zone)
    except TimeParseError as exc:
        raise RowError(f"{field_name}: {exc}") from exc
    return instant, naive_time_note(value, zone)


def naive_time_note(value: str, zone: ZoneInfo) -> str:
    """Name the DST edge a naive local time falls on, so the choice made is visible downstream."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return ""
    if parsed.tzinfo is not None:
        return ""
    if is_nonexistent(parsed, zone):
        return "dst_gap"
    if is_ambiguous(parsed, zone):
        return "dst_overlap"
    return ""


def read_duration(value: object, *, required: bool = True) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError("call_duration is missing")
        return None
    if isinstance(value, bool):
        raise RowError(f"call_duration is not a number of seconds: {value!r}")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RowError(f"call_duration is not a number of seconds: {value!r}") from None
    if seconds != seconds or seconds < 0 or seconds > 7 * 24 * 3600:
        raise RowError(f"call_duration out of range: {value!r}")
    return seconds


def read_optional_text(mapping: dict[str, Any], name: str, *, limit: int = 255) -> str:
    value = mapping.get(name)
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RowError(f"{name} must be text")
    return value.strip()[:limit]


_LABELLED_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(.*)$")


def turns_from_labelled_text(text: str) -> list[Turn] | None:
    """'Agent: ...' / 'Customer: ...' lines as turns; None if the text has no speaker labels.

    Only lines whose label is a known speaker count, so a customer saying "Note: ..." is not
    mistaken for a speaker called Note. Unlabelled lines continue the previous turn.
    """
    turns: list[Turn] = []
    labelled = False
    for line in text.splitlines():
        match = _LABELLED_LINE.match(line)
        if match and match.group(1).strip().lower() in CUSTOMER_SPEAKERS | AGENT_SPEAKERS | {"ivr", "bot", "system"}:
            labelled = True
            turns.append(Turn(speaker=match.group(1).strip(), text=match.group(2).strip()))
        elif line.strip():
            if turns:
                last = turns[-1]
                turns[-1] = Turn(speaker=last.speaker, text=f"{last.text} {line.strip()}".strip())
            else:
                turns.append(Turn(speaker="", text=line.strip()))
    return turns if labelled else None


def turns_from_list(items: Iterable[object]) -> list[Turn]:
    turns: list[Turn] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RowError(f"transcript turn {position} is not an object with speaker and text")
        speaker, text = item.get("speaker", ""), item.get("text", "")
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
