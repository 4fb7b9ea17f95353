"""Amazon Connect: contact trace records, and the transcripts they are joined with.

- CTRs arrive as JSON: one record, records one per line, or (as Kinesis Data Firehose writes them
  to S3) records concatenated with no delimiter at all. They are read as a stream of JSON values.
  Connect delivers at least once: of several copies of a contact, the one with the latest
  `LastUpdateTimestamp` wins, inside a file (two passes) and across files (the record's version).
- Contact Lens writes one analysis file per contact (`CustomerMetadata.ContactId`, turns with a
  `ParticipantId` that `Participants` maps to a role).
- Transcribe Call Analytics writes one file per job (turns with `ParticipantRole`); the contact is
  the UUID in the job name or, failing that, in the file name.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from ingestion.calllogs.records import (
    CallRecord,
    FileFormatError,
    Parsed,
    RowError,
    RowReject,
    Turn,
    read_call_id,
)
from ingestion.timeparse import TimeParseError, parse_iso

CHUNK = 256 * 1024
# A CTR is a few KB; anything that does not close within this many bytes is not a record.
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_TRANSCRIPT_FILE_BYTES = 64 * 1024 * 1024
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class JsonValue:
    line: int  # the line the value starts on
    index: int  # 1-based position in the file
    value: Any = None
    error: str = ""
    content: str = ""


_NON_WS = re.compile(r"[^ \t\r\n]")
# In a JSON array read element by element, "[", "," and "]" between the elements are skipped too.
_NON_SEPARATOR = re.compile(r"[^ \t\r\n,\[\]]")
_ARRAY_RESYNC = re.compile(r"[\n,][ \t\r\n]*\{")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)


def iter_json_values(stream: BinaryIO, *, array: bool = False) -> Iterator[JsonValue]:
    """JSON values back to back, with or without whitespace between them, read in bounded memory.

    A malformed value is reported and skipped: reading resumes at the next "{" that starts a line
    or follows a "}" directly (where Firehose and JSON Lines put the start of a record).
    With `array`, the file is one JSON array (as export tools write) read one element at a time,
    never whole; reading resumes after a malformed element at the next "{" after a comma or a line end.
    """
    start_of_value = _NON_SEPARATOR if array else _NON_WS
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    buf, pos, line, index, eof = "", 0, 1, 0, False

    def fill() -> None:
        nonlocal buf, pos, eof
        chunk = stream.read(CHUNK)
        eof = not chunk
        buf, pos = buf[pos:] + utf8.decode(chunk, final=eof), 0

    while True:
        start = start_of_value.search(buf, pos)
        if start is None:
            line += buf.count("\n", pos)
            pos = len(buf)
            if eof:
                return
            fill()
            continue
        line += buf.count("\n", pos, start.start())
        pos = start.start()
        try:
            value, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            # An error within the last few characters may be a value cut by the read (a literal
            # such as `tru`, a number); an unterminated string runs to the end by definition.
            incomplete = exc.pos >= len(buf) - 16 or exc.msg.startswith("Unterminated string")
            if incomplete and not eof and len(buf) - pos < MAX_RECORD_BYTES:
                fill()
                continue
            index += 1
            yield JsonValue(
                line=line,
                index=index,
                error=f"not valid JSON: {exc.msg}",
                content=buf[pos : pos + 400].encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            )
            resume = _resync(buf, pos + 1, array=array)
            if resume is None:
                line += buf.count("\n", pos)
                pos = len(buf)
            else:
                line += buf.count("\n", pos, resume)
                pos = resume
            continue
        if end == len(buf) and not eof and not isinstance(value, (dict, list, str)):
            fill()  # a number at the end of the buffer may go on in the next chunk
            continue
        index += 1
        raw = buf[pos:end]
        if _UNDECODABLE.search(raw):
            yield JsonValue(
                line=line,
                index=index,
                error="not valid UTF-8",
                content=raw[:400].encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            )
        else:
            yield JsonValue(line=line, index=index, value=value)
        line += raw.count("\n")
        pos = end


def _resync(buf: str, start: int, *, array: bool = False) -> int | None:
    if array:
        found = _ARRAY_RESYNC.search(buf, start)
        return found.end() - 1 if found else None
    candidates = [i for i in (buf.find("\n{", start), buf.find("}{", start)) if i >= 0]
    return min(candidates) + 1 if candidates else None


def _ctr_version(record: dict[str, Any]) -> str:
    value = record.get("LastUpdateTimestamp")
    if not isinstance(value, str):
        return ""
    try:
        return parse_iso(value).astimezone(UTC).isoformat()
    except TimeParseError:
        return ""


def parse_ctr(open_stream: Callable[[], BinaryIO]) -> Iterator[Parsed]:
    """Each contact once, in its latest version (two passes over the file; memory ~ contacts)."""
    latest: dict[str, str] = {}
    with open_stream() as stream:
        for item in iter_json_values(stream):
            if item.error or not isinstance(item.value, dict):
                continue
            contact = item.value.get("ContactId")
            if isinstance(contact, str):
                version = _ctr_version(item.value)
                if version >= latest.get(contact, ""):
                    latest[contact] = version
    done: set[str] = set()
    with open_stream() as stream:
        for item in iter_json_values(stream):
            if item.error:
                yield RowReject(line=item.line, record=item.index, reason=item.error, content=item.content)
                continue
            if not isinstance(item.value, dict):
                yield RowReject(
                    line=item.line,
                    record=item.index,
                    reason="a contact trace record must be a JSON object",
                    content=json.dumps(item.value)[:400],
                )
                continue
            contact = item.value.get("ContactId")
            if isinstance(contact, str) and (contact in done or _ctr_version(item.value) != latest.get(contact)):
                continue  # an older or repeated delivery of the same contact
            try:
                record = record_from_ctr(item.value, line=item.line)
            except RowError as exc:
                yield RowReject(
                    line=item.line, record=item.index, reason=str(exc), content=json.dumps(item.value)[:4000]
                )
                continue
            done.add(record.call_id)
            yield record


def _timestamp(record: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = record.get(name)
    if value in (None, ""):
        if required:
            raise RowError(f"{name} is missing")
        return None
    if not isinstance(value, str):
        raise RowError(f"{name} is not a timestamp")
    try:
        return parse_iso(value)  # Connect writes UTC with Z; a naive value is refused
    except TimeParseError as exc:
        raise RowError(f"{name}: {exc}") from exc


def _name(value: object, key: str) -> str:
    if isinstance(value, dict):
        found = value.get(key)
        return found.strip()[:255] if isinstance(found, str) else ""
    return ""


def record_from_ctr(record: dict[str, Any], *, line: int) -> CallRecord:
    try:
        call_id = read_call_id(record.get("ContactId"))
    except RowError:
        raise RowError("ContactId is missing") from None
    started = _timestamp(record, "InitiationTimestamp", required=True)
    assert started is not None
    ended = _timestamp(record, "DisconnectTimestamp")
    return CallRecord(
        call_id=call_id,
        occurred_at=started,
        line=line,
        turns=None,  # joined from the transcript files
        duration_seconds=(ended - started).total_seconds() if ended and ended >= started else None,
        caller=_name(record.get("CustomerEndpoint"), "Address"),
        agent=_name(record.get("Agent"), "Username"),
        queue=_name(record.get("Queue"), "Name"),
        version=_ctr_version(record),
        extra={"ctr": record},
    )


# -- transcripts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Transcript:
    contact_id: str
    turns: list[Turn]
    kind: str  # "contact_lens" | "transcribe_call_analytics"
    redacted: bool = False


def read_transcript_document(stream: BinaryIO) -> dict[str, Any]:
    body = stream.read(MAX_TRANSCRIPT_FILE_BYTES + 1)
    if len(body) > MAX_TRANSCRIPT_FILE_BYTES:
        raise FileFormatError(f"a transcript file larger than {MAX_TRANSCRIPT_FILE_BYTES} bytes")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"the transcript file is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Transcript"), list):
        raise FileFormatError("the transcript file has no Transcript list")
    return document


def parse_contact_lens(document: dict[str, Any]) -> Transcript:
    metadata = document.get("CustomerMetadata") or {}
    contact_id = metadata.get("ContactId") if isinstance(metadata, dict) else None
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise FileFormatError("the Contact Lens file has no CustomerMetadata.ContactId")
    roles = {
        p.get("ParticipantId"): p.get("ParticipantRole")
        for p in document.get("Participants") or []
        if isinstance(p, dict)
    }
    turns = []
    for item in document["Transcript"]:
        if not isinstance(item, dict) or not isinstance(item.get("Content"), str):
            continue
        participant = item.get("ParticipantId", "")
        role = roles.get(participant) or item.get("ParticipantRole") or participant
        turns.append(Turn(speaker=str(role or ""), text=item["Content"].strip()))
    output = (document.get("ContentMetadata") or {}).get("Output", "")
    return Transcript(contact_id=contact_id.strip(), turns=turns, kind="contact_lens", redacted=output == "Redacted")


def parse_call_analytics(document: dict[str, Any], *, file_name: str) -> Transcript:
    job_name = document.get("JobName") if isinstance(document.get("JobName"), str) else ""
    match = _UUID.search(job_name or "") or _UUID.search(file_name)
    if not match:
        raise FileFormatError("no ContactId (a UUID) in the Call Analytics job name or the file name")
    turns = [
        Turn(speaker=str(item.get("ParticipantRole") or ""), text=item["Content"].strip())
        for item in document["Transcript"]
        if isinstance(item, dict) and isinstance(item.get("Content"), str)
    ]
    output = (document.get("ContentMetadata") or {}).get("Output", "")
    return Transcript(
        contact_id=match.group(0).lower(), turns=turns, kind="transcribe_call_analytics", redacted=output == "Redacted"
    )
