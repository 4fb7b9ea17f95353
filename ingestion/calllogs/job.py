"""The call-log job: find new files in the lake's inbox, ingest each once, report what happened.

For every file under `inbox/call_center/` (or the prefix given):

1. unchanged since the last scan (same size and mtime/ETag as a recorded upload): skipped unread;
2. copied to a local temporary file, hashed; the same key with the same sha256 in the ledger is
   an identical re-upload: skipped;
3. its format told from the contents; the bytes written to `raw/call_center/<partition>/`
   (lake first), then the ledger row (RawEvent, provider `call_log`), already claimed;
4. read as a stream, in batches: calls become messages through the pipeline's bulk path
   (INSERT .. ON CONFLICT DO NOTHING on (call_center, call_id), one classifier batch, routing);
   bad rows go to the rejects report beside the raw copy, with their line numbers;
5. the ledger row marked processed, with the counts.

Before looking at the inbox, files that an earlier run left unfinished (it crashed, or it died
and its lease expired) are resumed from their raw copy: every write is idempotent, so resuming is
reading the file again.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from datetime import UTC
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from ingestion.bulk import messages_ingest_bulk
from ingestion.calllogs import fanout, formats, lakeio, ledger, stream
from ingestion.calllogs.calls import inbound_from_transcript
from ingestion.calllogs.records import FileFormatError, RowReject
from ingestion.calllogs.rejects import RejectsReport
from ingestion.calllogs.summary import FileSummary, RunSummary
from ingestion.models import Message, RawEvent
from ingestion.sources import Source
from ingestion.timeparse import get_zone
from lake import Lake, LakeError, LakeObjectMissing, LakeUnavailable, get_lake, raw_key

logger = logging.getLogger(__name__)


class ClassifierUnavailable(RuntimeError):
    """No trained model yet: the files wait (released, not failed) and the task retries later."""


# A later run (or the task's own retry) can fix these; anything else marks the file failed.
TRANSIENT_ERRORS = (
    LakeUnavailable,
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    ClassifierUnavailable,
)
_TRANSCRIPT_NAME = re.compile(r"analysis|transcri|analytics", re.IGNORECASE)
_EXT = re.compile(r"^[a-z0-9]{1,8}$")

# (inbox key, position, end or None if unknown, calls so far, file finished): position and end are
# lines for line-based formats, calls otherwise.
Progress = Callable[[str, int, int | None, int, bool], None]


def call_logs_ingest(*, path: str = "", dry_run: bool = False, progress: Progress | None = None) -> RunSummary:
    """Resume unfinished files, then ingest every new file under `path` (default: the inbox)."""
    lake = get_lake()
    prefix = (path or settings.CALL_LOG_INBOX_PREFIX).strip("/")
    summary = RunSummary(dry_run=dry_run)
    if not dry_run:
        # Spools go to CALL_LOG_WORK_DIR; lakeio.local_copy stages S3 objects in the system's own.
        work_dirs = {settings.CALL_LOG_WORK_DIR or tempfile.gettempdir(), tempfile.gettempdir()}
        swept = lakeio.work_files_sweep(directories=work_dirs)
        if swept:
            logger.info("removed %d work files left by killed call-log jobs", swept)
        for event in ledger.call_log_events_resumable(prefix=prefix):
            if ledger.call_log_event_claim(event=event):
                event.refresh_from_db()
                logger.info("resuming call-log file %s (attempt %d)", event.meta.get("inbox_key"), event.attempts)
                summary.files.append(_resume(lake, event, progress))
    entries = sorted(lakeio.inbox_entries(lake, prefix), key=lambda e: (not _TRANSCRIPT_NAME.search(e.key), e.key))
    for entry in entries:
        summary.files.append(_ingest_entry(lake, entry, dry_run=dry_run, progress=progress))
    return summary


def _resume(lake: Lake, event: RawEvent, progress: Progress | None) -> FileSummary:
    key = str(event.meta.get("inbox_key", event.lake_key))
    try:
        with lakeio.local_copy(lake, event.lake_key) as local:
            return _process(lake, event, local, progress=progress)
    except LakeObjectMissing:
        # The ledger points at nothing: keep the row, say so loudly, never invent data.
        message = f"raw copy missing: {event.lake_key}"
        ledger.call_log_event_finish(event=event, status=RawEvent.Status.FAILED, error=message)
        logger.error("call-log file %s: %s", key, message)
        return FileSummary(key=key, outcome="failed", format=str(event.meta.get("format", "")), error=message)
    except LakeUnavailable as exc:
        ledger.call_log_event_release(event=event, error=str(exc))
        raise


def _ingest_entry(lake: Lake, entry: lakeio.InboxEntry, *, dry_run: bool, progress: Progress | None) -> FileSummary:
    if ledger.call_log_event_seen(inbox_key=entry.key, fingerprint=entry.fingerprint):
        return FileSummary(key=entry.key, outcome="unchanged")
    try:
        staged = lakeio.stage(lake, entry.key, directory=settings.CALL_LOG_WORK_DIR)
    except LakeObjectMissing:
        return FileSummary(key=entry.key, outcome="unchanged", error="gone before it could be read")
    try:
        event_id = ledger.event_id_for(inbox_key=entry.key, sha256=staged.sha256)
        if RawEvent.objects.filter(id=event_id).exists():
            if not dry_run:
                ledger.call_log_event_note_fingerprint(event_id=event_id, fingerprint=entry.fingerprint)
            return FileSummary(key=entry.key, outcome="unchanged")
        try:
            fmt, problem = formats.detect(staged.path), ""
        except FileFormatError as exc:
            fmt, problem = "", str(exc)
        if dry_run:
            return _dry_run(entry.key, staged.path, fmt, problem)
        received_at = timezone.now()
        obj = lakeio.write_file(
            lake,
            raw_key(Source.CALL_CENTER, received_at, event_id, _extension(entry.key)),
            staged.path,
            sha256=staged.sha256,
            size=staged.size,
        )
        event = ledger.call_log_event_create(
            event_id=event_id,
            lake_key=obj.key,
            sha256=obj.sha256,
            size=obj.size,
            received_at=received_at,
            meta={"inbox_key": entry.key, "fingerprint": entry.fingerprint, "format": fmt},
        )
        if event is None:
            return FileSummary(key=entry.key, outcome="busy", format=fmt)  # another run recorded it first
        if problem:
            return _quarantine(lake, event, problem)
        return _process(lake, event, staged.path, progress=progress)
    finally:
        staged.path.unlink(missing_ok=True)


def _extension(key: str) -> str:
    suffixes = [s.lstrip(".").lower() for s in PurePosixPath(key).suffixes[-2:]]
    ext = ".".join(s for s in suffixes if _EXT.match(s))
    return ext or "log"


def _process(lake: Lake, event: RawEvent, local: Path, *, progress: Progress | None) -> FileSummary:
    key = str(event.meta.get("inbox_key", event.lake_key))
    fmt = str(event.meta.get("format", ""))
    try:
        if fmt in formats.TRANSCRIPT_FORMATS:
            return _ingest_transcript(lake, event, local)
        return _ingest_records(lake, event, local, progress=progress)
    except FileFormatError as exc:
        return _quarantine(lake, event, str(exc))
    except TRANSIENT_ERRORS as exc:
        ledger.call_log_event_release(event=event, error=str(exc))
        raise
    except Exception as exc:
        if _classifier_not_ready(exc):
            ledger.call_log_event_release(event=event, error=str(exc))
            raise ClassifierUnavailable(str(exc)) from exc
        # One bad file must not stop the inbox: the file is marked failed with the error (the next
        # runs resume it, up to CALL_LOG_MAX_ATTEMPTS), and the job goes on with the other files.
        logger.exception("call-log file %s failed", key)
        ledger.call_log_event_finish(event=event, status=RawEvent.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return FileSummary(key=key, outcome="failed", format=fmt, error=f"{type(exc).__name__}: {exc}")


def _ingest_records(lake: Lake, event: RawEvent, local: Path, *, progress: Progress | None) -> FileSummary:
    key = str(event.meta.get("inbox_key", event.lake_key))
    fmt = str(event.meta["format"])
    zone = get_zone(settings.CALL_LOG_SOURCE_TZ)
    summary = FileSummary(key=key, outcome="ingested", format=fmt)
    chunks = fanout.chunks_for(fmt, local)
    if chunks is not None:
        lines: int | None = chunks[-1].last_line if chunks else 0
    else:
        lines = _line_count(local) if fmt in formats.LINE_FORMATS else None
    if progress:
        progress(key, 0, lines, 0, False)

    def heartbeat(line: int, position: int, **extra: object) -> None:
        ledger.call_log_event_heartbeat(
            event=event, progress={"line": line, "calls": summary.calls, "rejected": summary.rejected, **extra}
        )
        if progress:
            progress(key, position if lines else summary.calls, lines, summary.calls, False)

    with RejectsReport(directory=settings.CALL_LOG_WORK_DIR) as rejects:
        if chunks:
            # A large file: its chunks in several processes, each with its own classifier (fanout.py).
            fanout.records_write_fanned(
                lake=lake, event=event, local=local, fmt=fmt, key=key, chunks=chunks, summary=summary, rejects=rejects,
                on_chunk=lambda done, line, position: heartbeat(line, position, chunks_done=done),
            )  # fmt: skip
        else:
            stream.records_write(
                lake=lake, event=event, fmt=fmt, key=key, parsed=formats.records(fmt, local, zone=zone),
                summary=summary, rejects=rejects, on_written=lambda line: heartbeat(line, line),
            )  # fmt: skip
        summary.rejects_key = rejects.save(lake=lake, raw_key=event.lake_key) or ""
        first_rejects = rejects.first
    if progress:
        progress(key, lines or summary.calls, lines, summary.calls, True)
    ledger.call_log_event_finish(
        event=event,
        status=RawEvent.Status.PROCESSED,
        message_count=summary.calls,
        meta={
            "counts": _file_counts(event, summary),
            "rejects_key": summary.rejects_key,
            "first_rejects": first_rejects,
        },
    )
    if summary.rejected:
        logger.warning("call-log file %s: %d rows rejected, see %s", key, summary.rejected, summary.rejects_key)
    return summary


def _file_counts(event: RawEvent, summary: FileSummary) -> dict[str, int]:
    """What this file holds, over all the runs it took (a resumed run counts from the database)."""
    mine = Message.objects.filter(raw_event=event)
    return {
        "calls": summary.calls,
        "rejected": summary.rejected,
        "messages_recorded": mine.count(),
        "complaints": mine.filter(status=Message.Status.COMPLAINT).count(),
        "non_complaints": mine.filter(status=Message.Status.FILTERED, is_complaint=False).count(),
        "without_text": mine.filter(is_complaint__isnull=True, text="").count(),
    }


def _ingest_transcript(lake: Lake, event: RawEvent, local: Path) -> FileSummary:
    key = str(event.meta.get("inbox_key", event.lake_key))
    fmt = str(event.meta["format"])
    transcript = formats.transcript(fmt, local, file_name=PurePosixPath(key).name)
    summary = FileSummary(key=key, outcome="ingested", format=fmt)
    stored = Message.objects.filter(source=Source.CALL_CENTER, external_id=transcript.contact_id).first()
    if stored is not None and not stored.text and stored.is_complaint is None:
        # The call came first and waited without words: this transcript completes it.
        summary.add(
            messages_ingest_bulk(
                event=event, inbound=[inbound_from_transcript(transcript=transcript, stored=stored, inbox_key=key)]
            )
        )
    ledger.call_log_event_finish(
        event=event,
        status=RawEvent.Status.PROCESSED,
        message_count=0,
        meta={
            "contact_id": transcript.contact_id,
            "redacted": transcript.redacted,
            "turns": len(transcript.turns),
            "joined_late": bool(summary.updated),
        },
    )
    return summary


def _quarantine(lake: Lake, event: RawEvent, reason: str) -> FileSummary:
    """The file as a whole is unreadable. Its bytes are already in raw/; the reason goes to quarantine/."""
    key = str(event.meta.get("inbox_key", event.lake_key))
    now = timezone.now().astimezone(UTC)
    reason_key = (
        f"quarantine/{Source.CALL_CENTER}/{now:%Y/%m/%d/%H}/{now:%Y%m%dT%H%M%S}Z_{event.id}_"
        f"{PurePosixPath(key).name}.reason.json"
    )
    try:
        lake.write_json(
            reason_key,
            {
                "reason": reason,
                "source": Source.CALL_CENTER,
                "at": now.isoformat(),
                "inbox_key": key,
                "raw_key": event.lake_key,
                "sha256": event.sha256,
            },
        )
    except LakeError as exc:
        logger.error("could not write the quarantine reason for %s: %s", key, exc)
        reason_key = ""
    ledger.call_log_event_finish(
        event=event, status=RawEvent.Status.QUARANTINED, error=reason, meta={"quarantine_key": reason_key}
    )
    logger.warning("call-log file %s quarantined: %s", key, reason)
    return FileSummary(key=key, outcome="quarantined", format=str(event.meta.get("format", "")), error=reason)


def _dry_run(key: str, local: Path, fmt: str, problem: str) -> FileSummary:
    """Read and check every row; write nothing anywhere (no lake, no ledger, no messages)."""
    if problem:
        return FileSummary(key=key, outcome="quarantined", error=problem)
    summary = FileSummary(key=key, outcome="checked", format=fmt)
    if fmt in formats.TRANSCRIPT_FORMATS:
        try:
            formats.transcript(fmt, local, file_name=PurePosixPath(key).name)
        except FileFormatError as exc:
            return FileSummary(key=key, outcome="quarantined", format=fmt, error=str(exc))
        return summary
    zone = get_zone(settings.CALL_LOG_SOURCE_TZ)
    try:
        for parsed in formats.records(fmt, local, zone=zone):
            if isinstance(parsed, RowReject):
                summary.rejected += 1
            else:
                summary.calls += 1
    except FileFormatError as exc:
        return FileSummary(key=key, outcome="quarantined", format=fmt, error=str(exc))
    return summary


def _classifier_not_ready(exc: Exception) -> bool:
    # Imported here: by now the classifier module is loaded (it raised), and importing it at the
    # top would load spaCy into every process that imports the tasks module.
    from classification.model import ClassifierNotReady

    return isinstance(exc, ClassifierNotReady)


def _line_count(path: Path) -> int | None:
    try:
        with formats.open_local(path) as stream:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1024 * 1024), b""))
    except Exception:  # an estimate for the progress bar only; the real read reports real errors
        return None
