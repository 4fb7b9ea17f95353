"""Agents' reads that span apps: the filtered messages page, the raw event behind a complaint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from classification.taxonomy import NOT_COMPLAINT_REASONS
from ingestion.models import Message, RawEvent
from warehouse.references import reference_typed


@dataclass(frozen=True)
class MessagePage:
    items: list[Message]
    next: str | None  # "<received_at iso>|<id>" of the last row, when there is more


def filtered_messages(*, reason: str = "", text: str = "") -> QuerySet[Message]:
    """Messages the classifier tagged as not a complaint, newest first."""
    qs = Message.objects.filter(status=Message.Status.FILTERED)
    if reason in NOT_COMPLAINT_REASONS:
        qs = qs.filter(not_complaint_reason=reason)
    if text.strip():
        term = text.strip()
        match = Q(text__icontains=term) | Q(customer_handle__icontains=term)
        reference = reference_typed(term)
        if reference is not None:
            # The web form tells the customer a reference before the classifier runs; when it then
            # filters the message out, the reference is only in the message's metadata, and the
            # customer who calls back quotes it.
            match |= Q(metadata__reference=reference)
        qs = qs.filter(match)
    return qs


def filtered_messages_page(qs: QuerySet[Message], *, after: str = "", size: int = 50) -> MessagePage:
    """Keyset page over (received_at desc, id desc): the (status, received_at) index seeks to it."""
    if after:
        try:
            at_text, ident = after.split("|", 1)
            at, pk = datetime.fromisoformat(at_text), uuid.UUID(ident)
        except ValueError:
            at = pk = None  # type: ignore[assignment]
        if at is not None:
            qs = qs.filter(received_at__lte=at).exclude(received_at=at, id__gte=pk)
    rows = list(qs.order_by("-received_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    return MessagePage(items=rows, next=f"{last.received_at.isoformat()}|{last.id}" if more and last else None)


def raw_event_for(*, raw_event_id: uuid.UUID | None) -> RawEvent | None:
    if raw_event_id is None:
        return None
    return RawEvent.objects.filter(id=raw_event_id).first()
