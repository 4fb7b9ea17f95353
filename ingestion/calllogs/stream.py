"""Parsed calls -> batches -> the pipeline's bulk path; rejected rows -> the rejects report.

The loop both paths share: the whole file in the job's own process, or one chunk of it in a
fan-out process (fanout.py). Batches of CALL_LOG_BATCH_SIZE: classified here (one nlp.pipe
call), written by the BatchWriter (on its thread while the next batch is classified).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings

from ingestion.bulk import BulkResult, messages_plan_bulk, messages_write_bulk
from ingestion.calllogs import formats
from ingestion.calllogs.calls import inbound_from_record, transcripts_for
from ingestion.calllogs.records import CallRecord, Parsed, RowReject
from ingestion.calllogs.rejects import RejectsReport
from ingestion.calllogs.summary import FileSummary
from ingestion.calllogs.writer import BatchWriter
from ingestion.models import RawEvent
from lake import Lake


def records_write(
    *,
    lake: Lake,
    event: RawEvent,
    fmt: str,
    key: str,
    parsed: Iterable[Parsed],
    summary: FileSummary,
    rejects: RejectsReport,
    on_written: Callable[[int], None] | None = None,
) -> None:
    """Ingest every call of `parsed`; `on_written(last line)` after each batch is stored, in order."""
    batch: list[CallRecord] = []

    def written(result: BulkResult, *, last_line: int) -> None:  # on this thread, in batch order
        summary.add(result)
        if on_written:
            on_written(last_line)

    def flush(writer: BatchWriter) -> None:
        if not batch:
            return
        joined = (
            transcripts_for(lake=lake, contact_ids=[r.call_id for r in batch]) if fmt == formats.CONNECT_CTR else {}
        )
        inbound = [inbound_from_record(r, fmt=fmt, inbox_key=key, transcript=joined.get(r.call_id)) for r in batch]
        summary.calls += len(batch)
        plan = messages_plan_bulk(inbound=inbound)  # classified here, written below (maybe on the writer thread)
        writer.submit(
            lambda plan=plan: messages_write_bulk(event=event, plan=plan),  # type: ignore[misc]
            then=lambda result, line=batch[-1].line: written(result, last_line=line),  # type: ignore[misc]
        )
        batch.clear()

    with BatchWriter() as writer:
        for item in parsed:
            if isinstance(item, RowReject):
                rejects.add(item)
                summary.rejected += 1
                continue
            batch.append(item)
            if len(batch) >= settings.CALL_LOG_BATCH_SIZE:
                flush(writer)
        flush(writer)
        writer.drain()
