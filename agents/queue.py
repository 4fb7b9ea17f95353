"""The queue page's pieces beyond the list itself: per-filter counts and page links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from agents.filters import ASSIGNED_CHOICES, ComplaintFilter, category_filter_choices
from ingestion.sources import Channel, Source
from warehouse.models import Complaint
from warehouse.selectors import COUNT_CAP, CappedCount, complaint_capped_counts

FACET_DIMENSIONS = ("status", "source", "channel", "category", "assigned")


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: CappedCount
    selected: bool
    url: str  # the queue with this option chosen (or cleared, when selected), other filters kept


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    options: list[FacetOption]


def _options(dimension: str, *, supervisor: bool) -> list[tuple[str, str]]:
    if dimension == "status":
        base = [("pending", "Pending"), ("in_progress", "In progress")]
        return [*base, ("resolved", "Resolved"), ("dismissed", "Dismissed")]
    if dimension == "source":
        return list(Source.choices)
    if dimension == "channel":
        return list(Channel.choices)
    if dimension == "category":
        return category_filter_choices()
    return [(v, label) for v, label in ASSIGNED_CHOICES if v != "others" or supervisor]


def _with(params: QueryDict, **changes: str | None) -> str:
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def queue_facets(
    *, params: QueryDict, scope: QuerySet[Complaint], request: Any, supervisor: bool, cap: int = COUNT_CAP
) -> list[Facet]:
    """For each filter, how many complaints each of its options would show, the others kept.

    Every count is capped and all of them run in one statement: about thirty index range scans
    of at most `cap` entries each, whatever the size of the table.
    """
    querysets: dict[str, QuerySet[Complaint]] = {}
    options: dict[str, list[tuple[str, str]]] = {}
    for dimension in FACET_DIMENSIONS:
        data = params.copy()
        data.pop(dimension, None)
        if dimension == "status":
            data["status"] = "all"
        base = ComplaintFilter(data, queryset=scope, request=request)
        if not base.is_valid():
            continue
        options[dimension] = _options(dimension, supervisor=supervisor)
        for value, _label in options[dimension]:
            option_data = data.copy()
            option_data[dimension] = value
            querysets[f"{dimension}:{value}"] = ComplaintFilter(option_data, queryset=scope, request=request).qs
    counts = complaint_capped_counts(querysets, cap=cap)
    facets: list[Facet] = []
    labels = {
        "status": "Status",
        "source": "Source",
        "channel": "Channel",
        "category": "Category",
        "assigned": "Assigned",
    }
    for dimension, choices in options.items():
        current = params.get(dimension, "")
        facet_options = []
        for value, label in choices:
            count = counts[f"{dimension}:{value}"]
            selected = current == value
            if not selected and count.value == 0 and dimension in ("channel", "category"):
                continue  # thirty empty rows help nobody; the filter form still lists every option
            facet_options.append(
                FacetOption(
                    value=value,
                    label=label,
                    count=count,
                    selected=selected,
                    url=_with(params, **{dimension: None if selected else value}),
                )
            )
        facets.append(Facet(name=dimension, label=labels[dimension], options=facet_options))
    return facets


def page_url(params: QueryDict, *, after: str | None = None, before: str | None = None) -> str:
    query = params.copy()
    query.pop("after", None)
    query.pop("before", None)
    if after:
        query["after"] = after
    if before:
        query["before"] = before
    return f"?{query.urlencode()}"
