"""Admin for the warehouse. Complaints change only through the agents' audited actions, so
here they are read-only: the admin is for looking things up, not for editing history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from ingestion.sources import Channel, Source
from warehouse.models import Complaint, ComplaintEvent, ComplaintReference
from warehouse.references import reference_typed


def known_values_filter(field: str, title: str, values: Callable[[], list[tuple[str, str]]]) -> type:
    """A list filter offering `values()` for a text column without choices. Django's default for
    such a column is SELECT DISTINCT over the whole table, on every page of the list."""

    class KnownValues(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
            return values()

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    KnownValues.title = title
    return KnownValues


def _categories() -> list[tuple[str, str]]:
    from classification.models import Category

    return list(Category.objects.order_by("name").values_list("slug", "name"))


SourceFilter = known_values_filter("source", "source", lambda: list(Source.choices))
ChannelFilter = known_values_filter("channel", "channel", lambda: list(Channel.choices))
CategoryFilter = known_values_filter("category", "category", _categories)
ToStatusFilter = known_values_filter("to_status", "to status", lambda: list(Complaint.Status.choices))


class LargeTablePaginator(Paginator):
    """An unfiltered change list of a big table shows PostgreSQL's row estimate, not COUNT(*).

    COUNT(*) over millions of rows takes a noticeable time on every page of the admin; a
    filtered list (the usual case) is still counted exactly.
    """

    @cached_property
    def count(self) -> int:
        qs: Any = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and not query.where and connections[qs.db].vendor == "postgresql":
            with connections[qs.db].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [qs.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] and row[0] > 100_000:
                return int(row[0])
        return super().count


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field read-only; no adding or deleting from the admin."""

    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + list(self.readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    fields = ("created_at", "actor", "action", "from_status", "to_status", "note", "data")
    readonly_fields = fields
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "received_at",
        "source",
        "channel",
        "category",
        "status",
        "urgent",
        "assigned_to",
        "first_response_at",
        "resolved_at",
    )
    # Dates as a list filter, not date_hierarchy: its drill-down runs SELECT DISTINCT over every row
    # in range on each page of a list that grows without end.
    list_filter = (
        "status",
        "urgent",
        SourceFilter,
        ChannelFilter,
        CategoryFilter,
        ("received_at", admin.DateFieldListFilter),
    )
    list_select_related = ("assigned_to",)
    # Whole values, never a LIKE over the text of millions of rows. A reference is looked up by
    # its unique index (get_search_results); the admin's "=" compares UPPER(column), which no
    # index serves, so an id, handle or e-mail costs one pass over the table.
    search_fields = ("=external_id", "=customer_handle", "=contact_email")
    search_help_text = "Exact reference, external id, customer handle or e-mail."
    readonly_fields = ("open_in_agents_ui",)
    inlines = [ComplaintEventInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Complaint], search_term: str
    ) -> tuple[QuerySet[Complaint], bool]:
        reference = reference_typed(search_term)
        if reference is not None:
            return queryset.filter(reference=reference), False
        return super().get_search_results(request, queryset, search_term)

    fieldsets = (
        (None, {"fields": ("reference", "open_in_agents_ui", "status", "assigned_to", "urgent", "urgency_reasons")}),
        (
            "Customer",
            {"fields": ("customer_handle", "customer_name", "contact_email", "contact_phone", "text", "attachments")},
        ),
        ("Origin", {"fields": ("source", "channel", "provider", "external_id", "message_id", "raw_event_id")}),
        (
            "Classification",
            {
                "fields": (
                    "customer_category",
                    "category",
                    "category_confidence",
                    "complaint_confidence",
                    "model_version",
                )
            },
        ),
        (
            "Times (UTC stored, shown in the internal zone)",
            {"fields": ("occurred_at", "received_at", "first_response_at", "resolved_at", "created_at", "updated_at")},
        ),
        ("Resolution", {"fields": ("resolution_note",)}),
    )

    @admin.display(description="Agents' UI")
    def open_in_agents_ui(self, obj: Complaint) -> str:
        return format_html(
            '<a href="{}">Open {} in the agents\' UI</a>', reverse("agents:complaint", args=[obj.pk]), obj.reference
        )


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "complaint_reference", "action", "actor", "from_status", "to_status", "short_note")
    list_filter = ("action", ToStatusFilter, ("created_at", admin.DateFieldListFilter))  # see ComplaintAdmin
    list_select_related = ("complaint", "actor")
    search_fields = ("=complaint__reference", "actor__username")
    raw_id_fields = ("complaint",)

    @admin.display(description="Complaint", ordering="complaint__reference")
    def complaint_reference(self, obj: ComplaintEvent) -> str:
        return obj.complaint.reference

    @admin.display(description="Note")
    def short_note(self, obj: ComplaintEvent) -> str:
        return obj.note[:80]


@admin.register(ComplaintReference)
class ComplaintReferenceAdmin(ReadOnlyAdmin):
    list_display = ("code", "allocated_at")
    search_fields = ("=code",)
    date_hierarchy = "allocated_at"


# --- the reporting rollups (warehouse/reporting): derived data, rebuilt by their job --------------
class RollupAdmin(ReadOnlyAdmin):
    """Rollups are recomputed by `reporting_rollups`; the admin only lets one look at them."""

    def get_list_display(self, request: HttpRequest) -> list[str]:  # type: ignore[override]  # names only
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"][:10]

    def get_list_filter(self, request: HttpRequest) -> list[str]:  # type: ignore[override]  # names only
        names = {f.name for f in self.model._meta.concrete_fields}
        return [n for n in ("source", "channel", "category", "reason", "dimension", "direction") if n in names]


def _register_rollups() -> None:
    from warehouse.reporting import models as rollups

    admin.site.register(
        rollups.RollupState,
        type(
            "RollupStateAdmin",
            (RollupAdmin,),
            {"list_display": ("name", "time_zone", "last_started_at", "last_finished_at", "last_days", "lease_until")},
        ),
    )
    for model, hierarchy in (
        (rollups.RollupDirtyDay, "day"),
        (rollups.RollupVolumeHourly, "day"),
        (rollups.RollupDailyFlow, "day"),
        (rollups.RollupResponseTimes, "day"),
        (rollups.RollupCategoryAgreement, "day"),
        (rollups.RollupFilteredDaily, "day"),
        (rollups.RollupWeeklyTrend, "week_start"),
    ):
        admin.site.register(model, type(f"{model.__name__}Admin", (RollupAdmin,), {"date_hierarchy": hierarchy}))


_register_rollups()
