"""Admin for the ledger and the messages: raw fields are read-only, rows are never added here."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from classification.taxonomy import NOT_COMPLAINT_REASONS
from ingestion.adapters.base import registered_providers
from ingestion.admin_actions import replay_events, retry_events
from ingestion.models import Message, RawEvent
from ingestion.replay import CALL_LOG_PROVIDER
from ingestion.sms_concat import SmsConcatGroup, SmsConcatPart, SmsConcatSlot
from warehouse.admin import ReadOnlyAdmin


class ProviderFilter(admin.SimpleListFilter):
    """The providers the code knows, not SELECT DISTINCT provider: that reads the whole ledger
    (millions of rows) on every page of the list."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, name) for name in sorted({*registered_providers(), CALL_LOG_PROVIDER})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(provider=self.value()) if self.value() else queryset


class NotComplaintReasonFilter(admin.SimpleListFilter):
    """The reasons the taxonomy knows, not SELECT DISTINCT over every message."""

    title = "not a complaint because"
    parameter_name = "not_complaint_reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(reason, reason) for reason in NOT_COMPLAINT_REASONS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(not_complaint_reason=self.value()) if self.value() else queryset


_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@admin.register(RawEvent)
class RawEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "provider", "status", "attempts", "message_count", "size", "short_error")
    # Dates as a list filter, not date_hierarchy: its drill-down runs SELECT DISTINCT over every row
    # in range (0.66 s a million rows) on each page of a list that grows without end.
    list_filter = ("status", "source", ProviderFilter, ("received_at", admin.DateFieldListFilter))
    search_fields = ("lake_key",)
    search_help_text = "Exact event id (as in a failure e-mail) or SHA-256, or part of the lake key."
    actions = [retry_events, replay_events]  # failed/quarantined: filter by status, then act

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[RawEvent], search_term: str
    ) -> tuple[QuerySet[RawEvent], bool]:
        # The admin's own "=id" compares UPPER(id::text): a scan of the whole ledger for the one
        # search an alert e-mail leads to. An id or a hash is looked up as what it is instead.
        term = search_term.strip()
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        if _SHA256.match(term):
            return queryset.filter(sha256=term.lower()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Error")
    def short_error(self, obj: RawEvent) -> str:
        return obj.error[:100]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "source",
        "channel",
        "status",
        "is_complaint",
        "not_complaint_reason",
        "predicted_category",
        "category_confidence",
        "urgent",
        "complaint_link",
    )
    list_filter = (
        "status",
        "source",
        "channel",
        "is_complaint",
        NotComplaintReasonFilter,
        "urgent",
        "model_version",
        ("received_at", admin.DateFieldListFilter),  # not date_hierarchy: see RawEventAdmin
    )
    search_fields = ("=external_id", "=customer_handle", "=id")
    search_help_text = "Exact external id, customer handle or message id."
    readonly_fields = ("complaint_link",)
    raw_id_fields = ("raw_event",)

    @admin.display(description="Complaint")
    def complaint_link(self, obj: Message) -> str:
        if not obj.complaint_id:
            return "—"
        return format_html('<a href="{}">open</a>', reverse("agents:complaint", args=[obj.complaint_id]))


class SmsConcatPartInline(admin.TabularInline):
    model = SmsConcatPart
    extra = 0
    can_delete = False
    fields = ("number", "part_id", "text", "occurred_at", "received_at", "raw_event")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SmsConcatGroup)
class SmsConcatGroupAdmin(ReadOnlyAdmin):
    """Long SMS being reassembled: an incomplete group older than a day is worth a look."""

    list_display = ("first_received_at", "slot", "total", "parts_received", "completed_at")
    list_filter = ("slot__provider",)
    list_select_related = ("slot",)
    search_fields = ("=slot__sender", "=slot__recipient")
    date_hierarchy = "first_received_at"
    inlines = [SmsConcatPartInline]

    @admin.display(description="Parts received")
    def parts_received(self, obj: SmsConcatGroup) -> int:
        return obj.parts.count()


@admin.register(SmsConcatSlot)
class SmsConcatSlotAdmin(ReadOnlyAdmin):
    list_display = ("provider", "sender", "recipient", "ref")
    list_filter = ("provider",)
    search_fields = ("=sender", "=recipient")
