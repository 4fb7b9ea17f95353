"""From a parsed call to the message the pipeline records, and the transcript join for Connect."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from ingestion.adapters.base import InboundMessage
from ingestion.calllogs import formats
from ingestion.calllogs.connect import Transcript
from ingestion.calllogs.lakeio import local_copy
from ingestion.calllogs.ledger import call_log_events
from ingestion.calllogs.records import CallRecord, FileFormatError
from ingestion.models import RawEvent
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text
from lake import Lake, LakeError

logger = logging.getLogger(__name__)

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,30}$")


def inbound_from_record(
    record: CallRecord, *, fmt: str, inbox_key: str, transcript: Transcript | None = None
) -> InboundMessage:
    if transcript is not None:
        record.turns = transcript.turns
    text = clean_text(record.customer_text())
    metadata: dict[str, Any] = {
        "format": fmt,
        "file": inbox_key,
        "line": record.line,
        "call_duration": record.duration_seconds,
        "caller": record.caller,
        "agent": record.agent,
        "queue": record.queue,
        # The whole conversation, both sides; only the customer's side is classified.
        "transcript": record.transcript_json(),
        **record.extra,
    }
    if transcript is not None:
        metadata["transcript_source"] = transcript.kind
        metadata["transcript_redacted"] = transcript.redacted
    if record.time_note:
        metadata["time_note"] = record.time_note
    if record.version:
        metadata["version"] = record.version
    return InboundMessage(
        source=Source.CALL_CENTER,
        channel=Channel.CALL,
        provider=formats.MESSAGE_PROVIDER[fmt],
        external_id=record.call_id,
        text=text,
        occurred_at=record.occurred_at,
        customer_handle=record.caller,
        contact_phone=record.caller if _PHONE.match(record.caller) else "",
        metadata=metadata,
    )


def transcripts_for(*, lake: Lake, contact_ids: Iterable[str]) -> dict[str, Transcript]:
    """Transcripts already in the ledger for these contacts; the redacted one when both exist."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    found: dict[str, Transcript] = {}
    events = call_log_events().filter(meta__contact_id__in=ids, status=RawEvent.Status.PROCESSED)
    for event in events.order_by("received_at"):
        contact_id = str(event.meta.get("contact_id", ""))
        if contact_id in found and found[contact_id].redacted:
            continue
        try:
            transcript = read_transcript(lake=lake, event=event)
        except (LakeError, FileFormatError) as exc:
            logger.warning("transcript %s for contact %s unreadable: %s", event.lake_key, contact_id, exc)
            continue
        if contact_id not in found or transcript.redacted:
            found[contact_id] = transcript
    return found


def read_transcript(*, lake: Lake, event: RawEvent) -> Transcript:
    name = PurePosixPath(str(event.meta.get("inbox_key", event.lake_key))).name
    with local_copy(lake, event.lake_key) as path:
        return formats.transcript(str(event.meta["format"]), path, file_name=name)


def inbound_from_transcript(*, transcript: Transcript, stored: Any, inbox_key: str) -> InboundMessage:
    """A transcript that arrives after its call: the text for the message recorded without one."""
    record = CallRecord(call_id=transcript.contact_id, occurred_at=stored.occurred_at, line=0, turns=transcript.turns)
    return InboundMessage(
        source=Source.CALL_CENTER,
        channel=Channel.CALL,
        provider=stored.provider,
        external_id=transcript.contact_id,
        text=clean_text(record.customer_text()),
        occurred_at=stored.occurred_at,
        customer_handle=stored.customer_handle,
        contact_phone=stored.contact_phone,
        metadata={
            "transcript": record.transcript_json(),
            "transcript_source": transcript.kind,
            "transcript_redacted": transcript.redacted,
            "transcript_file": inbox_key,
        },
    )
