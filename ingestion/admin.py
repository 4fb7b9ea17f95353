from django.contrib import admin

from ingestion.admin_actions import replay_events, retry_events
from ingestion.models import Message, RawEvent


@admin.register(RawEvent)
class RawEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "source", "provider", "status", "attempts", "message_count", "size")
    list_filter = ("status", "source", "provider")
    search_fields = ("id", "lake_key", "sha256")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in RawEvent._meta.fields]
    actions = [retry_events, replay_events]  # failed/quarantined: filter by status, then act


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "source", "channel", "status", "is_complaint", "predicted_category", "urgent")
    list_filter = ("status", "source", "channel", "is_complaint", "not_complaint_reason", "urgent")
    search_fields = ("external_id", "customer_handle", "text")
    date_hierarchy = "received_at"
    readonly_fields = ("raw_event", "source", "channel", "provider", "external_id", "text", "occurred_at", "received_at")
