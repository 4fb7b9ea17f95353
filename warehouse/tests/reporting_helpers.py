"""Hand-built data for the reporting tests: complaints, their audit entries and filtered messages.

Times are given in UTC; the tests run with TIME_ZONE = Europe/London, whose clocks went forward
on Sunday 29 March 2026 (a 23-hour day) and go back on Sunday 25 October 2026 (25 hours).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingestion.models import Message, RawEvent
from warehouse.models import Complaint, ComplaintEvent
from warehouse.reporting.rollups import rollups_catch_up, rollups_requeue

H = timedelta(hours=1)
AUTUMN = date(2026, 10, 25)  # clocks go back at 02:00 BST: a 25-hour day
SPRING = date(2026, 3, 29)  # clocks go forward at 01:00 GMT: a 23-hour day


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def complaint_make(
    *,
    received: str,
    source: str = "sms",
    channel: str | None = None,
    category: str = "billing",
    responded_after: timedelta | None = None,
    resolved_after: timedelta | None = None,
    dismissed_at: str | None = None,
    customer_category: str = "",
    classifier_category: str | None = None,
    text: str = "My bill is wrong again.",
    handle: str = "",
    email: str = "",
    phone: str = "",
    name: str = "",
) -> Complaint:
    """One complaint as the pipeline and the agents would have left it.

    `classifier_category` puts a message in the ledger with that prediction (what the classifier
    first said), for the agreement numbers; the complaint's own category may differ (relabelled).
    """
    received_at = utc(received)
    message_id = uuid.uuid4()
    status = Complaint.Status.PENDING
    resolved_at = received_at + resolved_after if resolved_after is not None else None
    if resolved_at is not None:
        status = Complaint.Status.RESOLVED
    if dismissed_at is not None:
        status = Complaint.Status.DISMISSED
    first_response_at = received_at + responded_after if responded_after is not None else None
    if classifier_category is not None:
        message_record(
            received=received,
            source=source,
            channel=channel or source,
            status="complaint",
            predicted_category=classifier_category,
            message_id=message_id,
            text=text,
        )
    complaint = Complaint.objects.create(
        reference=f"CMP-T-{uuid.uuid4().hex[:10]}",
        source=source,
        channel=channel or source,
        provider=source,
        external_id=uuid.uuid4().hex,
        message_id=message_id,
        customer_handle=handle,
        customer_name=name,
        contact_email=email,
        contact_phone=phone,
        text=text,
        customer_category=customer_category,
        category=category,
        status=status,
        occurred_at=received_at,
        received_at=received_at,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
    )
    if dismissed_at is not None:
        event = ComplaintEvent.objects.create(
            complaint=complaint, action=ComplaintEvent.Action.DISMISSED, from_status="pending", to_status="dismissed"
        )
        ComplaintEvent.objects.filter(pk=event.pk).update(created_at=utc(dismissed_at))
    return complaint


_RAW_EVENT: dict[str, Any] = {}


def message_record(
    *,
    received: str,
    source: str = "sms",
    channel: str | None = None,
    status: str = "filtered",
    reason: str = "spam",
    predicted_category: str = "",
    message_id: uuid.UUID | None = None,
    text: str = "WIN A PRIZE NOW",
) -> Message:
    received_at = utc(received)
    raw = RawEvent.objects.create(
        source=source,
        provider=source,
        lake_key=f"raw/{source}/test/{uuid.uuid4().hex}.json",
        sha256="0" * 64,
        size=1,
        received_at=received_at,
        status=RawEvent.Status.PROCESSED,
    )
    return Message.objects.create(
        id=message_id or uuid.uuid4(),
        raw_event=raw,
        source=source,
        channel=channel or source,
        provider=source,
        external_id=uuid.uuid4().hex,
        text=text,
        occurred_at=received_at,
        received_at=received_at,
        status=status,
        is_complaint=status != "filtered",
        not_complaint_reason=reason if status == "filtered" else "",
        predicted_category=predicted_category,
    )


def rebuild(now: str = "2026-10-31T12:00") -> None:
    """Every day from the first complaint's to `now`'s recomputed, as `reporting_rollups --rebuild`."""
    at = utc(now)
    rollups_requeue(until=at.date(), now=at)
    rollups_catch_up(now=at)
