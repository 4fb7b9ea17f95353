"""Which format a call-log file is in, told from its contents (names are only a tie-break).

Files may be gzip-compressed (Firehose can write `.gz`); the magic bytes decide, not the name.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from ingestion.calllogs import asterisk, canonical, connect
from ingestion.calllogs.records import FileFormatError, Parsed

CANONICAL_JSONL = "canonical_jsonl"
CANONICAL_CSV = "canonical_csv"
CANONICAL_JSON_ARRAY = "canonical_json_array"
CONNECT_CTR = "connect_ctr"
CONTACT_LENS = "contact_lens"
CALL_ANALYTICS = "transcribe_call_analytics"
ASTERISK_CDR = "asterisk_cdr"
EMPTY = "empty"

RECORD_FORMATS = frozenset({CANONICAL_JSONL, CANONICAL_CSV, CANONICAL_JSON_ARRAY, CONNECT_CTR, ASTERISK_CDR})
TRANSCRIPT_FORMATS = frozenset({CONTACT_LENS, CALL_ANALYTICS})
LINE_FORMATS = frozenset({CANONICAL_JSONL, CANONICAL_CSV, ASTERISK_CDR})  # progress counts lines
# The provider recorded on each message: where the call came from.
MESSAGE_PROVIDER = {
    CANONICAL_JSONL: "call_log",
    CANONICAL_CSV: "call_log",
    CANONICAL_JSON_ARRAY: "call_log",
    CONNECT_CTR: "amazon_connect",
    CONTACT_LENS: "amazon_connect",
    CALL_ANALYTICS: "amazon_connect",
    ASTERISK_CDR: "asterisk",
}
GZIP_MAGIC = b"\x1f\x8b"


def open_local(path: Path) -> BinaryIO:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _head(path: Path, size: int = 64 * 1024) -> bytes:
    try:
        with open_local(path) as stream:
            return stream.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise FileFormatError(f"cannot decompress: {exc}") from exc


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def detect(path: Path) -> str:
    raw_head = _head(path)
    if raw_head.startswith(UTF16_BOMS):
        # Excel's "Unicode Text" and some Windows tools write UTF-16; every format here is UTF-8
        # (or a Windows-1252 CSV), so say what to do instead of "not a known call-log format".
        raise FileFormatError("the file is UTF-16 text (Excel's 'Unicode Text'); export it as 'CSV UTF-8' instead")
    head = raw_head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return EMPTY
    if head[:1] == b"{":
        return _detect_json(path)
    if head[:1] == b"[":
        return _detect_json_array(path)
    with open_local(path) as stream:
        for _line, fields, _problem in canonical.csv_rows(stream):
            if not any(f.strip() for f in fields):
                continue
            if "call_id" in canonical.canonical_names(fields):
                return CANONICAL_CSV
            if asterisk.looks_like_cdr(fields):
                return ASTERISK_CDR
            break
    raise FileFormatError(
        "not a known call-log format: expected canonical JSON Lines or CSV (with a call_id column), "
        "Amazon Connect JSON, or an Asterisk Master.csv"
    )


def _detect_json(path: Path) -> str:
    with open_local(path) as stream:
        for position, item in enumerate(connect.iter_json_values(stream)):
            if position >= 5:
                break
            if item.error or not isinstance(item.value, dict):
                continue
            keys = item.value.keys()
            if "call_id" in keys:
                return CANONICAL_JSONL
            if "Transcript" in keys and "CustomerMetadata" in keys:
                return CONTACT_LENS
            if "Transcript" in keys:
                return CALL_ANALYTICS
            if "ContactId" in keys:
                return CONNECT_CTR
            if "call_id" in canonical.canonical_names(keys):  # an export's names ("callId", "Call ID")
                return CANONICAL_JSONL
            break
    raise FileFormatError(
        "a JSON file that is neither canonical (call_id), an Amazon Connect contact trace record "
        "(ContactId), nor a Contact Lens or Transcribe Call Analytics transcript (Transcript)"
    )


def _detect_json_array(path: Path) -> str:
    with open_local(path) as stream:
        for position, item in enumerate(connect.iter_json_values(stream, array=True)):
            if position >= 5:
                break
            if item.error or not isinstance(item.value, dict):
                continue
            if "call_id" in canonical.canonical_names(item.value.keys()):
                return CANONICAL_JSON_ARRAY
            break
    raise FileFormatError("a JSON array whose elements are not call records (no call_id)")


def records(fmt: str, path: Path, *, zone: ZoneInfo) -> Iterator[Parsed]:
    """The calls and rejected rows of a record file (not transcripts)."""
    opener: Callable[[], BinaryIO] = lambda: open_local(path)  # noqa: E731
    try:
        if fmt == CANONICAL_JSONL:
            with opener() as stream:
                yield from canonical.parse_jsonl(stream, zone=zone)
        elif fmt == CANONICAL_CSV:
            with opener() as stream:
                yield from canonical.parse_csv(stream, zone=zone)
        elif fmt == CANONICAL_JSON_ARRAY:
            with opener() as stream:
                yield from canonical.parse_json_array(stream, zone=zone)
        elif fmt == CONNECT_CTR:
            yield from connect.parse_ctr(opener)
        elif fmt == ASTERISK_CDR:
            with opener() as stream:
                yield from asterisk.parse_master_csv(stream, zone=zone)
        elif fmt == EMPTY:
            return
        else:
            raise FileFormatError(f"{fmt} is not a call-record format")
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FileFormatError(f"the compressed file is cut short or corrupt: {exc}") from exc


def transcript(fmt: str, path: Path, *, file_name: str) -> connect.Transcript:
    try:
        with open_local(path) as stream:
            document = connect.read_transcript_document(stream)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise FileFormatError(f"the compressed file is cut short or corrupt: {exc}") from exc
    if fmt == CONTACT_LENS:
        return connect.parse_contact_lens(document)
    return connect.parse_call_analytics(document, file_name=file_name)
