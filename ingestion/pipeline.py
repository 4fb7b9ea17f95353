"""The worker side: raw event -> adapter -> messages -> classifier -> warehouse or filtered.

Every step is idempotent, so a task that runs twice (at-least-once delivery, the sweeper,
a replay) leaves the same rows behind (ARCHITECTURE rules 3 and 7).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

import metrics
from classification.services import Prediction, classify_texts
from ingestion.adapters import InboundMessage, PayloadError, get_adapter
from ingestion.adapters.base import RawInput
from ingestion.models import Message, RawEvent
from lake import LakeObjectMissing, get_lake
from monitoring.alerts import alert_quarantined
from warehouse.services import NewComplaint, complaint_create

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessResult:
    messages: int = 0
    new_messages: int = 0
    complaints: int = 0
    filtered: int = 0
    quarantined: bool = False
    skipped: bool = False


def raw_event_process(*, raw_event_id: uuid.UUID | str) -> ProcessResult:
    event = RawEvent.objects.filter(id=raw_event_id).first()
    if event is None:
        logger.info("raw event %s is gone; nothing to do", raw_event_id)
        return ProcessResult(skipped=True)
    if event.status in (RawEvent.Status.PROCESSED, RawEvent.Status.QUARANTINED):
        return ProcessResult(skipped=True)
    RawEvent.objects.filter(id=event.id).update(
        status=RawEvent.Status.PROCESSING, attempts=event.attempts + 1, enqueued_at=timezone.now()
    )
    try:
        body = get_lake().read(event.lake_key)  # LakeUnavailable propagates: the task retries
    except LakeObjectMissing:
        # The ledger points at nothing: keep the row, say so loudly, never invent data.
        _mark(event, RawEvent.Status.FAILED, error=f"lake object missing: {event.lake_key}")
        logger.error("raw event %s: lake object %s is missing", event.id, event.lake_key)
        return ProcessResult(skipped=True)

    inbound, malformed = raw_event_parse(event=event, body=body)
    if malformed:
        _mark(event, RawEvent.Status.QUARANTINED, error=malformed)
        return ProcessResult(quarantined=True)

    result = messages_ingest(event=event, inbound=inbound)
    _mark(event, RawEvent.Status.PROCESSED, message_count=len(inbound))
    return result


def raw_event_parse(*, event: RawEvent, body: bytes) -> tuple[list[InboundMessage], str]:
    """The provider adapter's messages for a stored event, and "" (or [] and the reason).

    A malformed payload is copied under quarantine/ with its reason and the admin is alerted
    (alerts are throttled per reason); the caller marks the event quarantined.
    """
    raw = RawInput(
        body=body,
        received_at=event.received_at,
        content_type=event.content_type,
        headers=event.headers,
        meta=event.meta,
        raw_event_id=str(event.id),
    )
    try:
        return get_adapter(event.provider)(raw), ""
    except PayloadError as exc:
        get_lake().quarantine(
            source=event.source,
            data=body,
            reason=str(exc),
            name=event.lake_key.rsplit("/", 1)[-1],
            details={"raw_event_id": str(event.id), "lake_key": event.lake_key, "stage": "worker"},
        )
        alert_quarantined(
            source=event.source, reason=str(exc), lake_key=event.lake_key, stage="worker", raw_event_id=str(event.id)
        )
        return [], str(exc)


def _mark(event: RawEvent, status: str, *, error: str = "", message_count: int | None = None) -> None:
    fields: dict[str, object] = {"status": status, "error": error[:5000], "processed_at": timezone.now()}
    if message_count is not None:
        fields["message_count"] = message_count
    RawEvent.objects.filter(id=event.id).update(**fields)


def messages_ingest(*, event: RawEvent, inbound: Sequence[InboundMessage]) -> ProcessResult:
    """Record, classify and route a batch of messages from one raw event."""
    if not inbound:
        return ProcessResult()
    new_count = 0
    for item in inbound:
        _, created = _message_record(event=event, item=item)
        new_count += int(created)
        if created:
            metrics.record_message_received(source=item.source, channel=item.channel)
        else:  # a provider's re-delivery (or a replay) absorbed by UNIQUE (source, external_id)
            metrics.record_rejected(source=event.provider, reason="duplicate")
    # Pick up this batch's messages that are not routed yet, whether this run or an earlier,
    # interrupted one created them.
    keys = [(m.source, m.external_id) for m in inbound]
    pending = [
        m
        for m in Message.objects.filter(
            source__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}, status=Message.Status.NEW
        )
        if (m.source, m.external_id) in set(keys)
    ]
    complaints, filtered = messages_classify_and_route(messages=pending)
    return ProcessResult(messages=len(inbound), new_messages=new_count, complaints=complaints, filtered=filtered)


def message_fields(item: InboundMessage) -> dict[str, Any]:
    """The columns a message takes from its inbound record as they are, cut to the columns' sizes."""
    return {
        "channel": item.channel,
        "provider": item.provider,
        "customer_handle": item.customer_handle[:255],
        "customer_name": item.customer_name[:255],
        "contact_email": item.contact_email[:254],
        "contact_phone": item.contact_phone[:40],
        "text": item.text,
        "customer_category": item.customer_category[:50],
        "occurred_at": item.occurred_at,
        "attachments": [a.as_json() for a in item.attachments],
    }


def _message_record(*, event: RawEvent, item: InboundMessage) -> tuple[Message, bool]:
    with transaction.atomic():
        message, created = Message.objects.get_or_create(
            source=item.source,
            external_id=item.external_id,
            defaults={
                "raw_event": event,
                **message_fields(item),
                "received_at": event.received_at,
                "metadata": item.metadata,
            },
        )
    return message, created


def messages_classify_and_route(*, messages: Sequence[Message]) -> tuple[int, int]:
    """Classify in one nlp.pipe batch, then send complaints to the warehouse. (complaints, filtered)"""
    if not messages:
        return 0, 0
    predictions = classify_texts([m.text for m in messages])
    complaints = filtered = 0
    for message, prediction in zip(messages, predictions, strict=True):
        if message_route(message=message, prediction=prediction):
            complaints += 1
        else:
            filtered += 1
    return complaints, filtered


def message_route(*, message: Message, prediction: Prediction) -> bool:
    """Store the verdict; a complaint goes to the warehouse, anything else stays here, tagged."""
    now = timezone.now()
    verdict = {
        "is_complaint": prediction.is_complaint,
        "not_complaint_reason": prediction.not_complaint_reason,
        "complaint_confidence": prediction.complaint_confidence,
        "predicted_category": prediction.category,
        "category_confidence": prediction.category_confidence,
        "urgent": prediction.urgent,
        "urgency_reasons": list(prediction.urgency_reasons),
        "model_version": prediction.model_version,
        "classified_at": now,
    }
    if not prediction.is_complaint:
        Message.objects.filter(id=message.id, status=Message.Status.NEW).update(
            status=Message.Status.FILTERED, **verdict
        )
        return False
    complaint, _ = complaint_create(new=new_complaint_from(message, prediction))
    Message.objects.filter(id=message.id).exclude(status=Message.Status.COMPLAINT).update(
        status=Message.Status.COMPLAINT, complaint_id=complaint.id, **verdict
    )
    return True


def new_complaint_from(
    message: Message, prediction: Prediction | None, *, complaint_id: uuid.UUID | None = None
) -> NewComplaint:
    return NewComplaint(
        complaint_id=complaint_id,
        message_id=message.id,
        raw_event_id=message.raw_event_id,
        source=message.source,
        channel=message.channel,
        provider=message.provider,
        external_id=message.external_id,
        text=message.text,
        occurred_at=message.occurred_at,
        received_at=message.received_at,
        customer_handle=message.customer_handle,
        customer_name=message.customer_name,
        contact_email=message.contact_email,
        contact_phone=message.contact_phone,
        customer_category=message.customer_category,
        attachments=message.attachments,
        reference=str(message.metadata.get("reference", "")),
        category=prediction.category if prediction else "",
        category_confidence=prediction.category_confidence if prediction else None,
        complaint_confidence=prediction.complaint_confidence if prediction else None,
        urgent=prediction.urgent if prediction else False,
        urgency_reasons=list(prediction.urgency_reasons) if prediction else [],
        model_version=prediction.model_version if prediction else "",
    )
