"""Agents' writes that span apps: promoting a filtered message into the queue.

It lives here, not in warehouse/services.py, because it reads ingestion's Message and the
warehouse imports nothing from ingestion (ARCHITECTURE: dependencies point downwards).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.db import transaction

from classification.models import Category
from classification.services import feedback_record
from ingestion.models import Message
from ingestion.pipeline import new_complaint_from
from warehouse.models import Complaint, ComplaintEvent
from warehouse.services import ComplaintConflict, complaint_create


def message_promote(*, message_id: uuid.UUID | str, actor: Any, category: str = "") -> Complaint:
    """A message the classifier filtered out is a complaint after all: into the queue it goes.

    The message is claimed by a conditional update (filtered -> complaint) in the same
    transaction as the complaint and the classifier feedback: two agents promoting at once
    create one complaint, and the second is told.
    """
    if category and not Category.objects.filter(slug=category).exists():
        raise ValueError(f"unknown category {category!r}")
    with transaction.atomic():
        message = Message.objects.filter(id=message_id).first()
        if message is None:
            raise Message.DoesNotExist(message_id)
        claimed = Message.objects.filter(id=message.id, status=Message.Status.FILTERED).update(
            status=Message.Status.COMPLAINT, is_complaint=True
        )
        if not claimed:
            raise ComplaintConflict(_why_not_filtered(message))
        new = dataclasses.replace(
            new_complaint_from(message, None),
            category=category,
            complaint_confidence=message.complaint_confidence,
            model_version=message.model_version,
            urgent=message.urgent,
            urgency_reasons=list(message.urgency_reasons or []),
        )
        complaint, _ = complaint_create(new=new)
        Message.objects.filter(id=message.id).update(complaint_id=complaint.id)
        # complaint_create wrote the "created" entry; it says who brought the complaint in, and why.
        ComplaintEvent.objects.filter(complaint=complaint, action=ComplaintEvent.Action.CREATED).update(
            actor=actor,
            note="Promoted from the filtered messages.",
            data={
                "source": message.source,
                "channel": message.channel,
                "promoted_from_message": str(message.id),
                "filtered_as": message.not_complaint_reason,
                "model_version": message.model_version,
            },
        )
        feedback_record(
            text=message.text,
            task="complaint",
            label="complaint",
            previous_label="not_complaint",
            reason=message.not_complaint_reason,
            model_version=message.model_version,
            message_id=message.id,
            complaint_id=complaint.id,
            user=actor,
        )
        if category:
            feedback_record(
                text=message.text,
                task="category",
                label=category,
                previous_label=message.predicted_category,
                model_version=message.model_version,
                message_id=message.id,
                complaint_id=complaint.id,
                user=actor,
            )
    return complaint


def _why_not_filtered(message: Message) -> str:
    if message.status == Message.Status.COMPLAINT:
        reference = (
            Complaint.objects.filter(id=message.complaint_id).values_list("reference", flat=True).first()
            if message.complaint_id
            else None
        )
        return f"This message is already in the queue{f' as {reference}' if reference else ''}."
    return "This message has not been classified yet; it will reach the queue on its own if it is a complaint."
