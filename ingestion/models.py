"""The ledger of raw events and the messages extracted from them."""

from __future__ import annotations

import uuid

from django.db import models

from ingestion.sources import Channel, Source


class RawEvent(models.Model):
    """One delivery as received: the lake key of its bytes, and how far processing got."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # in the lake and the ledger, task enqueued (or to be swept)
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"  # out of retries; retry from the admin
        QUARANTINED = "quarantined", "Quarantined"  # the payload could not be parsed

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField(max_length=20, choices=Source.choices)
    provider = models.CharField(max_length=30, help_text="twilio, vonage, meta, x, web_form, call_log, ...")
    lake_key = models.CharField(max_length=512, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="The request headers that matter.")
    meta = models.JSONField(default=dict, blank=True, help_text="What the edge derived: attachment keys, reference.")
    received_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"], name="rawevent_status_received"),
            models.Index(fields=["source", "received_at"], name="rawevent_source_received"),
        ]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source}/{self.provider} {self.received_at:%Y-%m-%d %H:%M:%S} {self.status}"


class Message(models.Model):
    """One customer message, normalised, classified, and routed to the warehouse or filtered.

    UNIQUE (source, external_id) is what absorbs providers' re-deliveries (rule 3).
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        COMPLAINT = "complaint", "Complaint (in the warehouse)"
        FILTERED = "filtered", "Filtered (not a complaint)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    raw_event = models.ForeignKey(RawEvent, on_delete=models.PROTECT, related_name="messages")
    source = models.CharField(max_length=20, choices=Source.choices)
    channel = models.CharField(max_length=30, choices=Channel.choices)
    provider = models.CharField(max_length=30)
    external_id = models.CharField(max_length=255)
    customer_handle = models.CharField(max_length=255, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    customer_category = models.CharField(max_length=50, blank=True)
    occurred_at = models.DateTimeField(help_text="The provider's event time (UTC), else our receipt time.")
    received_at = models.DateTimeField()
    attachments = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Indexed by message_status_received (status, received_at): a status-only index would be a
    # second copy of its leading column, paid at every insert.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)

    # The classifier's verdict (filled by classification; empty until it has run).
    is_complaint = models.BooleanField(null=True)
    not_complaint_reason = models.CharField(max_length=20, blank=True)
    complaint_confidence = models.FloatField(null=True, blank=True)
    predicted_category = models.CharField(max_length=50, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)
    urgent = models.BooleanField(default=False)
    urgency_reasons = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)

    complaint_id = models.UUIDField(null=True, blank=True, help_text="warehouse.Complaint id, once routed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="message_source_external_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="message_status_received"),
            models.Index(fields=["source", "received_at"], name="message_source_received"),
        ]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


# The concatenated-SMS tables live beside their service in ingestion/sms_concat.py.
from ingestion.sms_concat import SmsConcatGroup, SmsConcatPart, SmsConcatSlot  # noqa: E402,F401
