"""Asterisk CDRs as `cdr_csv` writes them to Master.csv: no header, server local time.

Column order (cdr_csv.c, `build_csv_record`): accountcode, src, dst, dcontext, clid, channel,
dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags,
then uniqueid and userfield when `loguniqueid`/`loguserfield` are on (the default since 1.8),
then peeraccount, linkedid, sequence when `newcdrcolumns` is on.

A CDR is call metadata, not words: the message carries no text until a transcript for the same
call id arrives (a canonical file keyed by the uniqueid fills it in). The call id is `uniqueid`,
which embeds the channel's creation time as epoch seconds (`[system-]<epoch>.<sequence>`); that
epoch settles which of the two instants a start time in the repeated autumn hour means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from ingestion.calllogs.canonical import csv_rows, row_text
from ingestion.calllogs.records import CallRecord, Parsed, RowError, RowReject, read_call_id
from ingestion.timeparse import TimeParseError, from_epoch, is_ambiguous, is_nonexistent, localize_near

COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
    "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
)  # fmt: skip
FIELD_COUNTS = (17, 18, 21)  # 16 columns (no uniqueid) cannot be keyed: every row is rejected
START = COLUMNS.index("start")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_EPOCH_IN_UNIQUEID = re.compile(r"(\d{9,11})\.\d+$")


def looks_like_cdr(fields: list[str]) -> bool:
    return len(fields) >= 16 and bool(_DATE.match(fields[START].strip()))


def _local(value: str, name: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise RowError(f"{name} is not YYYY-MM-DD HH:MM:SS: {value!r}") from None


def _int(value: str, name: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise RowError(f"{name} is not a whole number of seconds: {value!r}") from None
    if number < 0:
        raise RowError(f"{name} is negative")
    return number


def record_from_fields(fields: list[str], *, line: int, zone: ZoneInfo) -> CallRecord:
    if len(fields) not in FIELD_COUNTS:
        if len(fields) == 16:
            raise RowError("no uniqueid column: turn on loguniqueid in cdr.conf")
        raise RowError(f"expected {', '.join(map(str, FIELD_COUNTS))} fields, found {len(fields)}")
    row = dict(zip(COLUMNS, fields, strict=False))
    call_id = read_call_id(row["uniqueid"])
    start = _local(row["start"], "start")
    match = _EPOCH_IN_UNIQUEID.search(call_id)
    try:
        epoch = from_epoch(match.group(1)) if match else None
    except TimeParseError:
        epoch = None
    note = "dst_gap" if is_nonexistent(start, zone) else ("dst_overlap" if is_ambiguous(start, zone) else "")
    occurred_at = localize_near(start, zone, near=epoch)
    if note == "dst_overlap" and epoch is not None:
        note = "dst_overlap_resolved_by_uniqueid"
    duration = _int(row["duration"], "duration")
    billsec = _int(row["billsec"], "billsec")
    for name in ("answer", "end"):
        if row[name].strip():
            _local(row[name], name)  # validated; kept as written in the metadata
    lastapp = row["lastapp"].strip()
    return CallRecord(
        call_id=call_id,
        occurred_at=occurred_at,
        line=line,
        turns=None,
        duration_seconds=float(duration),
        caller=row["src"].strip()[:255],
        agent=_peer(row["dstchannel"]),
        queue=row["lastdata"].split(",")[0].strip()[:255] if lastapp.lower() == "queue" else "",
        time_note=note,
        extra={"cdr": {k: v for k, v in row.items() if v != ""}, "billsec": billsec},
    )


def _peer(channel: str) -> str:
    """'SIP/1001-000000a1' -> 'SIP/1001': the endpoint, without the per-call suffix."""
    return re.sub(r"-[0-9a-f]{8}(;\d+)?$", "", channel.strip())[:255]


def parse_master_csv(stream: BinaryIO, *, zone: ZoneInfo) -> Iterator[Parsed]:
    for line, fields, problem in csv_rows(stream):
        if not any(f.strip() for f in fields) and problem is None:
            continue
        content = row_text(fields)
        if problem:
            yield RowReject(line=line, reason=problem, content=content)
            continue
        try:
            yield record_from_fields(fields, line=line, zone=zone)
        except RowError as exc:
            yield RowReject(line=line, reason=str(exc), content=content)
