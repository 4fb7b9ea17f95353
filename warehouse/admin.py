from django.contrib import admin

from warehouse.models import Complaint, ComplaintEvent


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    readonly_fields = ("created_at", "actor", "action", "from_status", "to_status", "note", "data")
    can_delete = False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("reference", "received_at", "source", "channel", "category", "status", "urgent", "assigned_to")
    list_filter = ("status", "source", "channel", "category", "urgent")
    search_fields = ("reference", "external_id", "customer_handle", "text")
    date_hierarchy = "received_at"
    raw_id_fields = ("assigned_to",)
    readonly_fields = ("reference", "source", "channel", "provider", "external_id", "message_id", "raw_event_id",
                       "occurred_at", "received_at", "model_version")
    inlines = [ComplaintEventInline]
