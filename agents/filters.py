"""The queue's filters, one FilterSet for the browser UI and the REST API alike."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from agents.permissions import is_supervisor
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


_CATEGORY_MEMO: tuple[float, list[tuple[str, str]]] = (0.0, [])
CATEGORY_MEMO_SECONDS = 30.0


def category_choices() -> list[tuple[str, str]]:
    """The taxonomy, read at most every 30 s per process: a queue page builds some thirty
    FilterSets (one per count) and each would otherwise query it. An admin's new category
    shows up in the filters within that time."""
    global _CATEGORY_MEMO
    at, choices = _CATEGORY_MEMO
    now = time.monotonic()
    if now - at > CATEGORY_MEMO_SECONDS or not choices:
        choices = list(Category.objects.order_by("position", "name").values_list("slug", "name"))
        _CATEGORY_MEMO = (now, choices)
    return choices


def category_filter_choices() -> list[tuple[str, str]]:
    return [*category_choices(), (UNCATEGORISED, "Uncategorised")]


def local_day_start(day: date) -> datetime:
    """Midnight of `day` in the internal zone (TIME_ZONE), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, clock.min))


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
        """The filters, then who may see what (the same rule as warehouse.selectors.complaint_scope).

        The rule is applied per status instead of as one `open OR mine` condition: an OR over
        the whole queue hides the partial indexes from PostgreSQL's planner and wrecks its row
        estimates, while "open" needs no restriction at all (every agent sees the open queue).
        """
        queryset = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("status") or "open"
        if status == "open":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        user = getattr(self.request, "user", None)
        if status in OPEN_STATUSES or status == "open" or is_supervisor(user):
            return queryset
        user_id = getattr(user, "pk", None)
        if user_id is None:
            return queryset.none()
        if status == "all":
            return queryset.filter(Q(status__in=OPEN_STATUSES) | Q(assigned_to_id=user_id))
        return queryset.filter(assigned_to_id=user_id)  # their own resolved or dismissed complaints

    def filter_status(self, queryset: QuerySet[Complaint], name: str, value: str) -> QuerySet[Complaint]:
        if value == "all":
            return queryset
        if value == "open" or not value:
            return queryset  # filter_queryset applies the open statuses
        # status = 'pending' alone: PostgreSQL proves it implies the partial indexes' predicate.
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
