"""The web form's edge service: raw submission and attachments to the lake, then the ledger.

A form whose raw copy reached the lake but whose ledger row did not (PostgreSQL down after the
lake write, a crash between the two) showed the customer an error page, and customers send such a
form again. The lake copy stays, and a replay of the lake would make it a second complaint beside
the accepted retry: forms have no provider id to absorb a repeat. So each accepted submission's
ledger row carries `submission_digest` (what the customer typed and the uploaded bytes, not the
request's envelope), and a replay leaves a lake copy alone when a submission with the same digest
was accepted after it, within RETRY_WINDOW (ingestion/replay.py).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from ingestion.adapters.base import PayloadError, RawInput
from ingestion.adapters.web_form import form_parse
from ingestion.attachments import CleanAttachment
from ingestion.models import RawEvent
from ingestion.services import raw_event_receive
from ingestion.sources import Source
from lake import get_lake, raw_key
from warehouse.services import reference_allocate

PROVIDER = "web_form"
# What the customer types: the same words and files sent again are the same submission.
SUBMISSION_FIELDS = ("category", "text", "name", "email", "phone")
# How long after a failed attempt its retry is looked for (the form's own repeat memory is as long).
RETRY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Submission:
    event: RawEvent
    reference: str


def submission_digest(fields: Mapping[str, Any], files: MultiValueDict[str, Any]) -> str:
    """What a submission said, whichever request carried it: the typed fields and the uploaded
    files' bytes, as sent. The browser's retry (a new multipart boundary, a new CSRF token) and the
    lake copy of the failed attempt, parsed again at replay, give the same digest."""
    digest = hashlib.sha256()
    for name in SUBMISSION_FIELDS:
        digest.update(str(fields.get(name) or "").strip().encode() + b"\x00")
    for name in sorted(files):
        for upload in files.getlist(name):
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            digest.update(name.encode() + b"\x00" + content.digest())
    return digest.hexdigest()


def web_form_retry_accepted(*, body: bytes, received_at: datetime, lake_key: str) -> RawEvent | None:
    """For the lake copy of a form that has no ledger row: the accepted submission that repeated
    it within RETRY_WINDOW, or None (then the copy is a submission of its own to recover)."""
    try:
        fields, files = form_parse(RawInput(body=body, received_at=received_at))
    except PayloadError:
        return None
    return (
        RawEvent.objects.filter(
            source=Source.WEB_FORM,
            received_at__gte=received_at,
            received_at__lte=received_at + RETRY_WINDOW,
            meta__submission_digest=submission_digest(fields, files),
        )
        .exclude(lake_key=lake_key)
        .order_by("received_at")
        .first()
    )


def web_form_submission_receive(
    *,
    body: bytes,
    content_type: str,
    attachments: list[CleanAttachment],
    user_agent: str = "",
    digest: str = "",
) -> Submission:
    """Lake first (the multipart body as received, then the cleaned attachments), then the ledger.

    Raises lake.LakeUnavailable before any row exists.
    """
    event_id = uuid.uuid4()
    received_at = timezone.now()
    lake = get_lake()
    raw = lake.write(raw_key(Source.WEB_FORM, received_at, event_id, "multipart"), body, content_type=content_type)
    stored: list[dict[str, object]] = []
    for index, attachment in enumerate(attachments, start=1):
        key = f"attachments/{Source.WEB_FORM}/{received_at:%Y/%m/%d}/{event_id}/{index}.{attachment.ext}"
        obj = lake.write(key, attachment.data, content_type=attachment.content_type)
        stored.append(
            {
                "lake_key": obj.key,
                "content_type": attachment.content_type,
                "filename": attachment.filename,
                "size": obj.size,
                "sha256": obj.sha256,
            }
        )
    reference = reference_allocate(at=received_at)
    event = raw_event_receive(
        source=Source.WEB_FORM,
        provider=PROVIDER,
        body=body,
        ext="multipart",
        content_type=content_type,
        headers={"Content-Type": content_type, "User-Agent": user_agent[:300]},
        meta={"reference": reference, "attachments": stored, "submission_digest": digest},
        event_id=event_id,
        received_at=received_at,
        lake_object=raw,
    )
    return Submission(event=event, reference=reference)
