"""Writes to the warehouse. Keyword-only, typed, idempotent where a task may call them twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from warehouse.models import Complaint, ComplaintEvent, ComplaintReference
from warehouse.references import reference_candidate


def reference_allocate(*, at: datetime) -> str:
    """A new, never-used reference. The primary key settles races; a clash just draws again."""
    for _ in range(20):
        code = reference_candidate(at)
        try:
            with transaction.atomic():
                ComplaintReference.objects.create(code=code)
        except IntegrityError:
            continue
        return code
    raise RuntimeError("could not allocate a unique complaint reference in 20 draws")


@dataclass
class NewComplaint:
    """What the warehouse needs to know about a message; built by ingestion (no import back)."""

    message_id: uuid.UUID
    raw_event_id: uuid.UUID | None
    source: str
    channel: str
    provider: str
    external_id: str
    text: str
    occurred_at: datetime
    received_at: datetime
    customer_handle: str = ""
    customer_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    customer_category: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    reference: str = ""  # pre-allocated (web form), else allocated here
    category: str = ""
    category_confidence: float | None = None
    complaint_confidence: float | None = None
    urgent: bool = False
    urgency_reasons: list[str] = field(default_factory=list)
    model_version: str = ""


def complaint_create(*, new: NewComplaint) -> tuple[Complaint, bool]:
    """Create the complaint for a message, or return the one that exists. (complaint, created)."""
    existing = Complaint.objects.filter(source=new.source, external_id=new.external_id).first()
    if existing is not None:
        return existing, False
    reference = new.reference or reference_allocate(at=new.received_at)
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                reference=reference,
                source=new.source,
                channel=new.channel,
                provider=new.provider,
                external_id=new.external_id,
                message_id=new.message_id,
                raw_event_id=new.raw_event_id,
                customer_handle=new.customer_handle,
                customer_name=new.customer_name,
                contact_email=new.contact_email,
                contact_phone=new.contact_phone,
                text=new.text,
                attachments=new.attachments,
                customer_category=new.customer_category,
                category=new.category,
                category_confidence=new.category_confidence,
                complaint_confidence=new.complaint_confidence,
                urgent=new.urgent,
                urgency_reasons=new.urgency_reasons,
                model_version=new.model_version,
                occurred_at=new.occurred_at,
                received_at=new.received_at,
            )
            ComplaintEvent.objects.create(
                complaint=complaint,
                action=ComplaintEvent.Action.CREATED,
                to_status=complaint.status,
                data={"source": new.source, "channel": new.channel, "model_version": new.model_version},
            )
    except IntegrityError:
        # A concurrent run of the same message won the race (rule 3): use its row.
        return Complaint.objects.get(source=new.source, external_id=new.external_id), False
    return complaint, True
