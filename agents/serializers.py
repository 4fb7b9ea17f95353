"""Input and output shapes of the REST API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from rest_framework import serializers

from agents.forms import assignable_users
from classification.taxonomy import NOT_COMPLAINT_REASONS
from ingestion.models import Message
from warehouse.models import Complaint, ComplaintEvent


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="get_username")


class ComplaintListSerializer(serializers.ModelSerializer):
    assigned_to = UserRefSerializer(allow_null=True, read_only=True)
    first_line = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "status",
            "urgent",
            "source",
            "channel",
            "category",
            "category_confidence",
            "customer_category",
            "customer_handle",
            "first_line",
            "assigned_to",
            "received_at",
            "occurred_at",
            "first_response_at",
            "resolved_at",
        ]

    def get_first_line(self, obj: Complaint) -> str:
        line = next((p.strip() for p in obj.text.splitlines() if p.strip()), "")
        return line[:200]


class ComplaintEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, allow_null=True)

    class Meta:
        model = ComplaintEvent
        fields = ["id", "action", "actor", "from_status", "to_status", "note", "data", "created_at"]


class ComplaintDetailSerializer(ComplaintListSerializer):
    history = ComplaintEventSerializer(source="events", many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(ComplaintListSerializer.Meta):
        fields = [
            *ComplaintListSerializer.Meta.fields,
            "text",
            "provider",
            "customer_name",
            "contact_email",
            "contact_phone",
            "complaint_confidence",
            "urgency_reasons",
            "model_version",
            "resolution_note",
            "attachments",
            "history",
        ]

    def get_attachments(self, obj: Complaint) -> list[dict[str, Any]]:
        """Each attachment with the authorised URL that streams it; never a lake or provider URL."""
        from django.urls import reverse

        request = self.context.get("request")
        result = []
        for index, item in enumerate(obj.attachments or []):
            if not isinstance(item, dict):
                continue
            url = reverse("agents:attachment", args=[obj.pk, index]) if item.get("lake_key") else None
            result.append(
                {
                    "filename": item.get("filename", ""),
                    "content_type": item.get("content_type", ""),
                    "size": item.get("size"),
                    "url": request.build_absolute_uri(url) if request is not None and url else url,
                }
            )
        return result


# --- actions' input -------------------------------------------------------------------------
class AssignInput(serializers.Serializer):
    user_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Whom to assign to; omit to take it yourself, null to unassign."
    )

    def validate_user_id(self, value: int | None) -> Any:
        if value is None:
            return None
        user = assignable_users().filter(pk=value).first()
        if user is None:
            raise serializers.ValidationError("No active agent or supervisor with this id.")
        return user


class EmptyInput(serializers.Serializer):
    pass


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000, trim_whitespace=True)


class ResolveInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000, trim_whitespace=True, help_text="How it was resolved.")


class DismissInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(NOT_COMPLAINT_REASONS))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RelabelInput(serializers.Serializer):
    category = serializers.SlugField(max_length=50)
    expected_category = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="The category you saw; 409 if it changed since."
    )

    def validate_category(self, value: str) -> str:
        from classification.models import Category

        if not Category.objects.filter(slug=value).exists():
            raise serializers.ValidationError("Unknown category.")
        return value


class BulkAssignInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500)
    user_id = serializers.IntegerField(required=False, help_text="Omit to take them yourself.")


class BulkResolveInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500)
    note = serializers.CharField(max_length=5000)


class BulkConflictSerializer(serializers.Serializer):
    reference = serializers.CharField()
    id = serializers.UUIDField(required=False, help_text="Only for an id that matched no complaint you may see.")
    reason = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.CharField())
    conflicts = BulkConflictSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    complaint = ComplaintListSerializer(allow_null=True)


# --- filtered messages ----------------------------------------------------------------------
class FilteredMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id",
            "source",
            "channel",
            "customer_handle",
            "text",
            "not_complaint_reason",
            "complaint_confidence",
            "model_version",
            "received_at",
        ]


class FilteredMessageQuery(serializers.Serializer):
    reason = serializers.ChoiceField(choices=list(NOT_COMPLAINT_REASONS), required=False, allow_blank=True, default="")
    q = serializers.CharField(required=False, allow_blank=True, default="", help_text="Words, a handle or a reference.")
    after = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="`next_after` of the last page."
    )

    def validate_after(self, value: str) -> str:
        """The cursor filtered_messages_page makes: '<received_at ISO-8601 with offset>|<id>'."""
        if not value:
            return value
        try:
            at, ident = value.split("|", 1)
            aware = datetime.fromisoformat(at).tzinfo is not None
            uuid.UUID(ident)
        except ValueError:
            aware = False
        if not aware:
            raise serializers.ValidationError("Invalid cursor; pass next_after as given (URL-encoded).")
        return value


class FilteredMessagePageSerializer(serializers.Serializer):
    next_after = serializers.CharField(allow_null=True, help_text="Pass as `after` for the next page; null at the end.")
    results = FilteredMessageSerializer(many=True)


class PromoteInput(serializers.Serializer):
    category = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
