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

Parts that never all arrive: a group still open SMS_CONCAT_FLUSH_AFTER_SECONDS after its first
part is closed by `sms_concat_groups_close_stale` with the parts it has, a marker where each
missing part belongs (ingestion/sms_concat_flush.py turns it into the message and tells the
admin). A part arriving after that starts a new group, itself flushed in its turn: the customer's
words are never dropped, at worst split.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
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
    # db_index off: smsconcatgroup_open (slot, completed_at) leads with it.
    slot = models.ForeignKey(SmsConcatSlot, on_delete=models.CASCADE, related_name="groups", db_index=False)
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
    # db_index off: the UNIQUE (group, number) leads with it.
    group = models.ForeignKey(SmsConcatGroup, on_delete=models.CASCADE, related_name="parts", db_index=False)
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
    missing: list[int] = field(default_factory=list)  # part numbers that never arrived (flushed groups)


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


# Where a part that never arrived belongs in the flushed text: visible to agents and the model.
MISSING_PART_MARK = " [...] "


@dataclass(frozen=True)
class StaleGroup:
    """A group closed incomplete, with what the message needs besides its parts."""

    assembled: Assembled
    provider: str
    sender: str
    recipient: str
    ref: str
    total: int


def sms_concat_groups_close_stale(*, started_before: datetime, now: datetime | None = None) -> list[StaleGroup]:
    """Close every open group whose first part came before `started_before`, with the parts it has.

    Each group is closed under its slot's lock, the same lock `sms_concat_part_record` takes, so a
    part recorded at that moment either makes the group whole first (and the group is not stale
    any more) or finds it closed and starts a new one. Closing twice is impossible: the conditional
    update on `completed_at` lets one caller win.
    """
    now = now or timezone.now()
    stale_ids = list(
        SmsConcatGroup.objects.filter(completed_at__isnull=True, first_received_at__lt=started_before)
        .order_by("first_received_at")
        .values_list("id", flat=True)[:1000]
    )
    closed: list[StaleGroup] = []
    for group_id in stale_ids:
        with transaction.atomic():
            group = SmsConcatGroup.objects.select_related("slot").filter(pk=group_id).first()
            if group is None:
                continue
            SmsConcatSlot.objects.select_for_update().filter(pk=group.slot_id).get()
            parts = list(group.parts.order_by("number"))
            if not parts:
                continue
            if not SmsConcatGroup.objects.filter(pk=group.pk, completed_at__isnull=True).update(completed_at=now):
                continue  # completed or closed by someone else meanwhile
        by_number = {p.number: p for p in parts}
        missing = [n for n in range(1, group.total + 1) if n not in by_number]
        pieces: list[str] = []
        for number in range(1, group.total + 1):
            part = by_number.get(number)
            if part is not None:
                pieces.append(part.text)
            elif not pieces or pieces[-1] != MISSING_PART_MARK:
                pieces.append(MISSING_PART_MARK)
        closed.append(
            StaleGroup(
                assembled=Assembled(
                    group_id=group.id,
                    text="".join(pieces),
                    # The lowest part we have names the message: stable across replays, and
                    # distinct from the whole message's key should part 1 turn up later.
                    first_part_id=parts[0].part_id,
                    occurred_at=min(p.occurred_at for p in parts),
                    parts=[
                        {"number": p.number, "part_id": p.part_id, "raw_event_id": str(p.raw_event_id or "")}
                        for p in parts
                    ],
                    missing=missing,
                ),
                provider=group.slot.provider,
                sender=group.slot.sender,
                recipient=group.slot.recipient,
                ref=group.slot.ref,
                total=group.total,
            )
        )
    return closed


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
