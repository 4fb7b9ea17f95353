"""Clean, relevant complaints and their history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ComplaintReference(models.Model):
    """Every human reference ever handed out: the UNIQUE key makes allocation race-safe.

    A web-form customer sees their reference before the worker has built the complaint, so
    references are allocated on their own, before (and independently of) the complaint row.
    """

    code = models.CharField(max_length=32, primary_key=True)
    allocated_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class Complaint(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    OPEN_STATUSES = (Status.PENDING, Status.IN_PROGRESS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=32, unique=True)
    source = models.CharField(max_length=20)
    channel = models.CharField(max_length=30)
    provider = models.CharField(max_length=30, blank=True)
    external_id = models.CharField(max_length=255)
    message_id = models.UUIDField(unique=True, help_text="ingestion.Message this complaint came from.")
    raw_event_id = models.UUIDField(null=True, blank=True)

    customer_handle = models.CharField(max_length=255, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    text = models.TextField()
    attachments = models.JSONField(default=list, blank=True)
    customer_category = models.CharField(max_length=50, blank=True)

    # The classifier's fields.
    category = models.CharField(max_length=50, blank=True, db_index=True)
    category_confidence = models.FloatField(null=True, blank=True)
    complaint_confidence = models.FloatField(null=True, blank=True)
    urgent = models.BooleanField(default=False)
    urgency_reasons = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=100, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    resolution_note = models.TextField(blank=True)

    occurred_at = models.DateTimeField(help_text="When the customer sent it (provider time, UTC).")
    received_at = models.DateTimeField(help_text="When we received it (UTC).")
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="complaint_source_external_id_uniq"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "in_progress", "resolved", "dismissed"]),
                name="complaint_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="complaint_resolved_has_time",
            ),
        ]
        indexes = [
            # The agents' queue: open complaints, urgent first, then oldest first.
            models.Index(
                fields=["-urgent", "received_at"],
                name="complaint_open_queue",
                condition=Q(status__in=["pending", "in_progress"]),
            ),
            models.Index(fields=["received_at"], name="complaint_received"),
            models.Index(fields=["status", "received_at"], name="complaint_status_received"),
            models.Index(fields=["source", "received_at"], name="complaint_source_received"),
        ]
        ordering = ["-urgent", "received_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ComplaintEvent(models.Model):
    """The audit trail: who changed what, when."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        STATUS = "status", "Status changed"
        NOTE = "note", "Note"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"
        RELABELLED = "relabelled", "Category changed"
        REOPENED = "reopened", "Reopened"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"


# The reporting rollup tables live beside their job in warehouse/reporting/models.py.
from warehouse.reporting.models import (  # noqa: E402,F401
    RollupCategoryAgreement,
    RollupDailyFlow,
    RollupDirtyDay,
    RollupFilteredDaily,
    RollupResponseTimes,
    RollupState,
    RollupVolumeHourly,
    RollupWeeklyTrend,
)
