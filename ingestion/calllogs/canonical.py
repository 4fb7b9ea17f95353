"""The canonical call-log format (docs/call-logs.md): JSON Lines, or CSV with a header.

One call a row: `call_id`, `timestamp`, `call_duration`, `transcript`, optional `caller`,
`agent`, `queue`. Other fields are kept in the message's metadata under `extra`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from ingestion.calllogs.records import (
    CallRecord,
    FileFormatError,
    Parsed,
    RowError,
    RowReject,
    iter_lines,
    read_call_id,
    read_duration,
    read_optional_text,
    read_timestamp,
    turns_from_labelled_text,
    turns_from_list,
)

REQUIRED = ("call_id", "timestamp", "call_duration", "transcript")
KNOWN = frozenset({*REQUIRED, "caller", "agent", "queue"})
MAX_EXTRA_CHARS = 4000

# Column names as other tools export them. A name is first normalised ("Call ID", "call-id",
# "callId" -> "call_id"), then looked up here; the canonical name wins when both are present.
ALIASES = {
    "call_id": (
        "callid",
        "call_sid",
        "call_uuid",
        "call_ref",
        "call_reference",
        "contact_id",
        "contactid",
        "interaction_id",
    ),
    "timestamp": (
        "start_time",
        "call_start",
        "call_start_time",
        "started_at",
        "start_timestamp",
        "datetime",
        "date_time",
        "call_time",
        "call_datetime",
        "call_date_time",
        "time_stamp",
        "initiation_timestamp",  # Amazon Connect's contact search CSV export
        "created_at",  # Zendesk Talk
    ),
    "call_duration": (
        "duration",
        "call_duration_seconds",
        "call_duration_secs",
        "duration_seconds",
        "duration_secs",
        "duration_sec",
        "duration_s",  # "Duration (s)"
        "duration_in_seconds",
        "call_length",
        "call_length_seconds",
        "talk_time",
        "call_time",  # Five9's "CALL TIME" is the call's length (when DATE and TIME give the start)
    ),
    "transcript": ("transcription", "call_transcript", "conversation", "transcript_text"),
    "caller": ("caller_id", "callerid", "caller_number", "customer_number", "customer_phone", "ani", "from_number"),
    "agent": ("agent_name", "agent_id", "agentname", "handled_by"),
    "queue": ("queue_name", "skill", "department"),
}
_ALIAS_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def field_name(name: str) -> str:
    """ "Call ID" / "call-id" / "callId" / "CALL_ID" -> "call_id"."""
    name = _CAMEL.sub("_", name.strip().lstrip("\ufeff"))
    return _SEPARATORS.sub("_", name.lower()).strip("_")


def canonical_names(names: Iterable[str]) -> list[str]:
    """Each column's name in the canonical vocabulary (aliases resolved unless the real one is there).

    Exports often carry two aliases of one field ("Duration" and "Talk Time", "Start Time" and
    "Created At"): only the alias listed first in ALIASES takes the canonical name,
    the others keep their own, so a later column cannot silently overwrite the better one."""
    normal = [field_name(n) for n in names]
    present = set(normal)
    chosen: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        if name in present:
            continue
        if name == "timestamp" and {"date", "time"} <= present:
            # "Call Time" is a start time in some exports and a length in others (Five9): next to
            # separate date and time columns it cannot be the start, so it is left to call_duration.
            aliases = tuple(alias for alias in aliases if alias != "call_time")
        found = next((alias for alias in aliases if alias in present and alias not in chosen), None)
        if found is not None:
            chosen[found] = name
    return [chosen.get(n, n) for n in normal]


def missing_required(names: Iterable[str]) -> list[str]:
    present = set(names)
    if "timestamp" not in present and {"date", "time"} <= present:
        present.add("timestamp")  # separate date and time columns are joined per row
    return [name for name in REQUIRED if name not in present]


def canonical_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row keyed by canonical names; fast when it already is (the documented format)."""
    if "call_id" in row and "timestamp" in row and "call_duration" in row and "transcript" in row:
        return row
    out = dict(zip(canonical_names(row), row.values(), strict=True))
    if "timestamp" not in out and out.get("date") not in (None, "") and out.get("time") not in (None, ""):
        out["timestamp"] = f"{out.pop('date')} {out.pop('time')}"
    return out


def _date_order() -> str:
    from django.conf import settings

    return str(getattr(settings, "CALL_LOG_DATE_ORDER", "DMY"))


def record_from_mapping(row: dict[str, Any], *, line: int, zone: ZoneInfo, from_csv: bool = False) -> CallRecord:
    row = canonical_row(row)
    call_id = read_call_id(row.get("call_id"))
    occurred_at, time_note = read_timestamp(row.get("timestamp"), zone=zone, date_order=_date_order())
    duration = read_duration(row.get("call_duration"))
    if "transcript" not in row or row["transcript"] is None:
        raise RowError("transcript is missing")
    transcript = row["transcript"]
    turns = None
    transcript_text = None
    if from_csv and isinstance(transcript, str) and transcript.lstrip().startswith("["):
        # A CSV cell may carry the list of turns as JSON.
        try:
            transcript = json.loads(transcript)
        except ValueError:
            pass  # then it is plain text that happens to start with "["
    if isinstance(transcript, list):
        turns = turns_from_list(transcript)
    elif isinstance(transcript, str):
        turns = turns_from_labelled_text(transcript)
        transcript_text = transcript.strip() if turns is None else None
    else:
        raise RowError("transcript must be text or a list of turns with speaker and text")
    extra = {k: v for k, v in row.items() if k not in KNOWN and k and v not in (None, "")}
    if len(json.dumps(extra, default=str)) > MAX_EXTRA_CHARS:
        extra = {"truncated": True}
    return CallRecord(
        call_id=call_id,
        occurred_at=occurred_at,
        line=line,
        turns=turns,
        transcript_text=transcript_text,
        duration_seconds=duration,
        caller=read_optional_text(row, "caller", limit=255),
        agent=read_optional_text(row, "agent", limit=255),
        queue=read_optional_text(row, "queue", limit=255),
        time_note=time_note,
        extra=extra,
    )


def parse_jsonl(stream: Iterable[bytes], *, zone: ZoneInfo, first_line: int = 1) -> Iterator[Parsed]:
    for line, raw in iter_lines(stream, first_line=first_line):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield RowReject(
                line=line,
                reason=f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                content=raw.decode("utf-8", "replace"),
            )
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            yield RowReject(line=line, reason=f"not valid JSON: {exc}", content=text)
            continue
        if not isinstance(row, dict):
            yield RowReject(line=line, reason="a line must be a JSON object", content=text)
            continue
        try:
            yield record_from_mapping(row, line=line, zone=zone)
        except RowError as exc:
            yield RowReject(line=line, reason=str(exc), content=text)


def parse_json_array(stream: BinaryIO, *, zone: ZoneInfo) -> Iterator[Parsed]:
    """A JSON array of call objects (how many tools export), read one element at a time."""
    from ingestion.calllogs.connect import iter_json_values

    for item in iter_json_values(stream, array=True):
        if item.error:
            yield RowReject(line=item.line, reason=item.error, content=item.content, record=item.index)
            continue
        if not isinstance(item.value, dict):
            yield RowReject(
                line=item.line,
                reason="an element must be a JSON object",
                content=str(item.value)[:400],
                record=item.index,
            )
            continue
        try:
            yield record_from_mapping(item.value, line=item.line, zone=zone)
        except RowError as exc:
            yield RowReject(
                line=item.line, reason=str(exc), content=json.dumps(item.value, default=str)[:4000], record=item.index
            )


class _LineCounter:
    """Feeds csv.reader text lines decoded one by one, so a bad byte spoils one row, not the file."""

    def __init__(self, stream: BinaryIO) -> None:
        self.lines = iter_lines(stream)
        self.line = 0
        self.bad_lines: set[int] = set()
        self._peeked: list[tuple[int, bytes]] = []

    def peek(self) -> str:
        """The next line, decoded for a look only (it is still read next)."""
        if not self._peeked:
            try:
                self._peeked.append(next(self.lines))
            except StopIteration:
                return ""
        return self._peeked[0][1].decode("utf-8-sig", "replace")

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        self.line, raw = self._peeked.pop() if self._peeked else next(self.lines)
        try:
            text = raw.decode("utf-8-sig" if self.line == 1 else "utf-8")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV (Comma delimited)" in Windows-1252, so a "£" or "é" is
            # one byte that is never valid UTF-8. A line that is not UTF-8 but is valid cp1252 is
            # read as cp1252 (a UTF-8 line is never misread: it decodes first); bytes cp1252 leaves
            # undefined still reject the row.
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                self.bad_lines.add(self.line)
                text = raw.decode("utf-8", "replace")
        return text + "\n"


DELIMITERS = (",", ";", "\t", "|")
_EXCEL_SEP_HINT = re.compile(r"^sep=([,;\t|]) *$", re.IGNORECASE)


def sniff_delimiter(first_line: str) -> str:
    """The separator the header uses: exports from spreadsheets in many locales write ";" or tabs."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the comma (first)
    return best if counts[best] else ","


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line of the row, fields, reason it is unreadable or None) for every CSV row."""
    source = _LineCounter(stream)
    first = source.peek()
    hint = _EXCEL_SEP_HINT.match(first)
    if hint is not None:
        # "sep=;" on the first line is Excel's separator hint, which exports meant for Excel
        # write; it is not the header. The line still counts, so row numbers match the file.
        next(source)
        delimiter = hint.group(1)
    else:
        delimiter = sniff_delimiter(first)
    reader = csv.reader(source, strict=True, delimiter=delimiter)
    while True:
        start = source.line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, [], f"CSV syntax error: {exc}"
            continue
        bad = [n for n in range(start, source.line + 1) if n in source.bad_lines]
        yield start, fields, (f"not valid UTF-8 on line {bad[0]}" if bad else None)


def parse_csv(stream: BinaryIO, *, zone: ZoneInfo) -> Iterator[Parsed]:
    rows = csv_rows(stream)
    header: list[str] | None = None
    for line, fields, problem in rows:
        if not any(f.strip() for f in fields) and problem is None:
            continue
        if header is None:
            header = canonical_names(fields)
            missing = missing_required(header)
            if problem or missing:
                raise FileFormatError(
                    f"the CSV header (line {line}) lacks {', '.join(missing) or 'readable names'}; "
                    f"expected at least {', '.join(REQUIRED)}"
                )
            continue
        content = row_text(fields)
        if problem:
            yield RowReject(line=line, reason=problem, content=content)
            continue
        if len(fields) != len(header):
            yield RowReject(line=line, reason=f"expected {len(header)} fields, found {len(fields)}", content=content)
            continue
        try:
            yield record_from_mapping(dict(zip(header, fields, strict=True)), line=line, zone=zone, from_csv=True)
        except RowError as exc:
            yield RowReject(line=line, reason=str(exc), content=content)
    if header is None:
        raise FileFormatError("the CSV file is empty (no header)")


def row_text(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue().rstrip("\r\n")
