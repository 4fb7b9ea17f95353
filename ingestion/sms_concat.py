"""Reassembling concatenated (multi-part) SMS: parts in any order, any number of times -> one message.

A long SMS reaches us as several webhooks, each one part (`concat-ref`, `concat-total`,
`concat-part`), in no guaranteed order, each possibly re-delivered. Every part is accepted at
the edge like any other delivery (lake first, ledger row); the worker records it here and,
when the last missing part is recorded, returns the whole text.

Why a table: the parts arrive as separate raw events, so the state lives in the database.
Race safety: all parts of one (provider, sender, recipient, ref) take a row lock on their
`SmsConcatSlot` first, so two workers recording the last two parts at once are serialised and
the second one sees every part. Idempotency: a part is keyed by the provider's own per-part
message id; a re-delivered or replayed part finds its row and changes nothing.

Why groups and not just the ref: `concat-ref` is one byte on the handset, so a sender reuses
it. Parts join the oldest open group of their slot with the same total that lacks their part
number and started within GROUP_WINDOW; a completed group never takes new parts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

# Providers retry undelivered webhooks for up to a day (Vonage: 24 hours), so the parts of one
# message can legitimately arrive that far apart.
GROUP_WINDOW = timedelta(hours=24)


class SmsConcatSlot(models.Model):
    """One row per (provider, sender, recipient, concat-ref): the row lock that serialises assembly."""

    provider = models.CharField(max_length=30)
    sender = models.CharField(max_length=64)
    recipient = models.CharField(max_length=64)
    ref = models.CharField(max_length=32)

    class Meta:
        app_label = "ingestion"
        constraints = [
            models.UniqueConstraint(fields=["provider", "sender", "recipient", "ref"], name="smsconcatslot_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.sender}->{self.recipient} ref {self.ref}"


class SmsConcatGroup(models.Model):
    """The parts of one long message."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slot = models.ForeignKey(SmsConcatSlot, on_delete=models.CASCADE, related_name="groups")
    total = models.PositiveSmallIntegerField()
    first_received_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "ingestion"
        indexes = [models.Index(fields=["slot", "completed_at"], name="smsconcatgroup_open")]

    def __str__(self) -> str:
        return f"{self.slot} ({self.total} parts)"


class SmsConcatPart(models.Model):
    provider = models.CharField(max_length=30)
    part_id = models.CharField(max_length=100, help_text="The provider's id for this part (Vonage messageId).")
    group = models.ForeignKey(SmsConcatGroup, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True, help_text="As received: never cleaned, a part may end mid-word.")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    raw_event = models.ForeignKey("ingestion.RawEvent", on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        app_label = "ingestion"
        constraints = [
            models.UniqueConstraint(fields=["provider", "part_id"], name="smsconcatpart_part_id_uniq"),
            models.UniqueConstraint(fields=["group", "number"], name="smsconcatpart_group_number_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.part_id} part {self.number}"


@dataclass(frozen=True)
class PartIn:
    provider: str
    part_id: str
    sender: str
    recipient: str
    ref: str
    total: int
    number: int
    text: str
    occurred_at: datetime
    received_at: datetime
    raw_event_id: str = ""


@dataclass(frozen=True)
class Assembled:
    """A complete message: the parts' texts joined in part order."""

    group_id: uuid.UUID
    text: str
    first_part_id: str  # the provider's id of part 1: a stable identity for the whole message
    occurred_at: datetime  # the earliest part's time
    parts: list[dict[str, object]]


def sms_concat_part_record(*, part: PartIn) -> Assembled | None:
    """Record one part; return the whole message once every part is in, else None.

    Safe to call any number of times for the same part and from concurrent workers.
    """
    with transaction.atomic():
        slot, _ = SmsConcatSlot.objects.get_or_create(
            provider=part.provider, sender=part.sender, recipient=part.recipient, ref=part.ref
        )
        # The lock every part of this slot waits for: the check "are all parts in?" below then
        # always sees the parts that other workers recorded before it.
        SmsConcatSlot.objects.select_for_update().filter(pk=slot.pk).get()
        existing = SmsConcatPart.objects.filter(provider=part.provider, part_id=part.part_id).first()
        if existing is not None:
            group = SmsConcatGroup.objects.get(pk=existing.group_id)
        else:
            group = _open_group_for(slot=slot, part=part)
            SmsConcatPart.objects.create(
                provider=part.provider,
                part_id=part.part_id,
                group=group,
                number=part.number,
                text=part.text,
                occurred_at=part.occurred_at,
                received_at=part.received_at,
                raw_event_id=part.raw_event_id or None,
            )
        parts = list(group.parts.order_by("number"))
        if len(parts) < group.total:
            return None
        if group.completed_at is None:
            SmsConcatGroup.objects.filter(pk=group.pk, completed_at__isnull=True).update(completed_at=timezone.now())
    # A complete group holds exactly the numbers 1..total (UNIQUE group, number; the edge
    # refuses numbers outside 1..total), so parts[0] is part 1.
    return Assembled(
        group_id=group.id,
        text="".join(p.text for p in parts),
        first_part_id=parts[0].part_id,
        occurred_at=min(p.occurred_at for p in parts),
        parts=[{"number": p.number, "part_id": p.part_id, "raw_event_id": str(p.raw_event_id or "")} for p in parts],
    )


def _open_group_for(*, slot: SmsConcatSlot, part: PartIn) -> SmsConcatGroup:
    group = (
        SmsConcatGroup.objects.filter(
            slot=slot,
            total=part.total,
            completed_at__isnull=True,
            first_received_at__gte=part.received_at - GROUP_WINDOW,
            first_received_at__lte=part.received_at + GROUP_WINDOW,
        )
        .exclude(parts__number=part.number)
        .order_by("first_received_at")
        .first()
    )
    if group is None:
        group = SmsConcatGroup.objects.create(slot=slot, total=part.total, first_received_at=part.received_at)
    return group
