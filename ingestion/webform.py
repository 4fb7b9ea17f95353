"""The web form's edge service: raw submission and attachments to the lake, then the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from ingestion.attachments import CleanAttachment
from ingestion.models import RawEvent
from ingestion.services import raw_event_receive
from ingestion.sources import Source
from lake import get_lake, raw_key
from warehouse.services import reference_allocate

PROVIDER = "web_form"


@dataclass(frozen=True)
class Submission:
    event: RawEvent
    reference: str


def web_form_submission_receive(
    *, body: bytes, content_type: str, attachments: list[CleanAttachment], user_agent: str = ""
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
        meta={"reference": reference, "attachments": stored},
        event_id=event_id,
        received_at=received_at,
        lake_object=raw,
    )
    return Submission(event=event, reference=reference)
