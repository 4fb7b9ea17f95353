"""The queue's filters, one FilterSet for the browser UI and the REST API alike."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from classification.models import Category
from ingestion.sources import Channel, Source
from warehouse.models import Complaint
from warehouse.selectors import OPEN_STATUSES, complaint_search

STATUS_CHOICES = [
    ("open", "Open (pending and in progress)"),
    ("pending", "Pending"),
    ("in_progress", "In progress"),
    ("resolved", "Resolved"),
    ("dismissed", "Dismissed"),
    ("all", "Any status"),
]
ASSIGNED_CHOICES = [("me", "Assigned to me"), ("unassigned", "Unassigned"), ("others", "Assigned to others")]


UNCATEGORISED = "none"


def category_choices() -> list[tuple[str, str]]:
    return list(Category.objects.order_by("position", "name").values_list("slug", "name"))


def category_filter_choices() -> list[tuple[str, str]]:
    return [*category_choices(), (UNCATEGORISED, "Uncategorised")]


def local_day_start(day: date) -> datetime:
    """Midnight of `day` in the internal zone (TIME_ZONE), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


class ComplaintFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=Source.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    category = django_filters.ChoiceFilter(choices=category_filter_choices, method="filter_category")
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", empty_label=None, help_text="Default: open."
    )
    assigned = django_filters.ChoiceFilter(choices=ASSIGNED_CHOICES, method="filter_assigned")
    received_from = django_filters.DateFilter(
        method="filter_received_from", help_text="First day, in the internal time zone (YYYY-MM-DD)."
    )
    received_to = django_filters.DateFilter(
        method="filter_received_to", help_text="Last day, inclusive, in the internal time zone (YYYY-MM-DD)."
    )
    q = django_filters.CharFilter(
        method="filter_q", help_text="A reference (CMP-...) or words from the text, handle or name."
    )

    class Meta:
        model = Complaint
        fields = ["source", "channel", "category", "status", "assigned", "received_from", "received_to", "q"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not a required field, but "no choice" must still mean the open queue.
        self.form.fields["status"].required = False
        self.form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Search"})

    def filter_queryset(self, queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        return queryset

    def filter_status(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        if value == "all":
            return queryset
        if value == "open" or not value:
            return queryset.filter(status__in=OPEN_STATUSES)
        # Keep the literal open-status condition beside "pending" / "in progress": it is the
        # predicate of the partial queue indexes, which PostgreSQL then picks without guessing.
        if value in OPEN_STATUSES:
            return queryset.filter(status__in=OPEN_STATUSES).filter(status=value)
        return queryset.filter(status=value)

    def filter_category(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        return queryset.filter(category="" if value == UNCATEGORISED else value)

    def filter_assigned(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        user_id = getattr(getattr(self.request, "user", None), "pk", None)
        if value == "me":
            return queryset.filter(assigned_to_id=user_id)
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        if value == "others":
            return queryset.filter(assigned_to__isnull=False).exclude(assigned_to_id=user_id)
        return queryset

    def filter_received_from(self, queryset: QuerySet[Complaint], name: str, value: date) -> QuerySet[Complaint]:
        return queryset.filter(received_at__gte=local_day_start(value))

    def filter_received_to(self, queryset: QuerySet[Complaint], name: str, value: date) -> QuerySet[Complaint]:
        return queryset.filter(received_at__lt=local_day_start(value + timedelta(days=1)))

    def filter_q(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        return complaint_search(queryset, text=value)
