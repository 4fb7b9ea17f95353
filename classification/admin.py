from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from classification.models import Category, Feedback


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "position", "description")
    list_editable = ("is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Complaints store the slug: renaming one would orphan every complaint filed under it.
        return ("slug",) if obj is not None else ()

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Sequence[str]]:
        return {} if obj is not None else {"slug": ("name",)}


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Agents' corrections, the next training run's labelled examples: read-only evidence."""

    list_display = (
        "created_at",
        "task",
        "previous_label",
        "label",
        "reason",
        "model_version",
        "created_by",
        "short_text",
    )
    list_filter = ("task", "label", "reason", "model_version")
    list_select_related = ("created_by",)
    search_fields = ("text", "=complaint_id", "=message_id")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Feedback._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Text")
    def short_text(self, obj: Feedback) -> str:
        return obj.text[:90]
