"""The queue page's pieces beyond the list itself: per-filter counts and page links."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from agents.filters import ASSIGNED_CHOICES, UNCATEGORISED, ComplaintFilter, category_filter_choices
from ingestion.sources import Channel, Source
from warehouse.models import Complaint
from warehouse.selectors import COUNT_CAP, OPEN_STATUSES, CappedCount, complaint_capped_counts

FACET_DIMENSIONS = ("status", "source", "channel", "category", "assigned")


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
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


LABELS = {"status": "Status", "source": "Source", "channel": "Channel", "category": "Category", "assigned": "Assigned"}
COUNTS_CACHE_SECONDS = 15


def queue_facets(*, params: QueryDict, supervisor: bool) -> list[Facet]:
    """The filter options with their links; their counts come from queue_facet_counts."""
    facets = []
    for dimension in FACET_DIMENSIONS:
        current = params.get(dimension, "")
        options = [
            FacetOption(
                value=value,
                label=label,
                selected=current == value,
                url=_with(params, **{dimension: None if current == value else value}),
            )
            for value, label in _options(dimension, supervisor=supervisor)
        ]
        facets.append(Facet(name=dimension, label=LABELS[dimension], options=options))
    return facets


def queue_facet_counts(
    *, params: QueryDict, scope: QuerySet[Complaint], request: Any, supervisor: bool, cap: int = COUNT_CAP
) -> dict[str, CappedCount]:
    """For each filter option, how many complaints it would show with the other filters kept.

    Every count is capped and all of them run in one statement: about thirty index range scans
    of at most `cap` entries each. A rare combination (a channel with no complaints under the
    chosen source) still reads its whole range, so the page loads without them and fetches
    them afterwards (agents/views/queue.py: queue_counts), cached for a few seconds.
    """
    if params.get("q", "").strip():
        return _search_counts(params=params, scope=scope, request=request, supervisor=supervisor, cap=cap)
    querysets: dict[str, QuerySet[Complaint]] = {}
    for dimension in FACET_DIMENSIONS:
        data = params.copy()
        data.pop(dimension, None)
        if dimension == "status":
            data["status"] = "all"
        if not ComplaintFilter(data, queryset=scope, request=request).is_valid():
            continue
        for value, _label in _options(dimension, supervisor=supervisor):
            option_data = data.copy()
            option_data[dimension] = value
            querysets[f"{dimension}={value}"] = ComplaintFilter(option_data, queryset=scope, request=request).qs
    return complaint_capped_counts(querysets, cap=cap)


SEARCH_SAMPLE = 5000


def _search_counts(
    *, params: QueryDict, scope: QuerySet[Complaint], request: Any, supervisor: bool, cap: int
) -> dict[str, CappedCount]:
    """Counts under a word search, from one pass over the matches.

    Thirty capped counts would each re-run the search (a GIN bitmap and a recheck of every
    match); instead the matches' five filter columns are read once, at most SEARCH_SAMPLE of
    them, and every option is counted from those rows. Past the sample every count reads "N+".
    """
    data = params.copy()
    for dimension in FACET_DIMENSIONS:
        data.pop(dimension, None)
    data["status"] = "all"
    base = ComplaintFilter(data, queryset=scope, request=request)
    if not base.is_valid():
        return {}
    rows = list(
        base.qs.order_by().values_list("source", "channel", "category", "status", "assigned_to_id")[: SEARCH_SAMPLE + 1]
    )
    truncated = len(rows) > SEARCH_SAMPLE
    rows = rows[:SEARCH_SAMPLE]
    user_id = getattr(request.user, "pk", None)
    active = {d: str(params.get(d)) for d in FACET_DIMENSIONS if params.get(d)}

    def matches(row: tuple[Any, ...], dimension: str, value: str) -> bool:
        source, channel, category, status, assignee = row
        if dimension == "source":
            return bool(source == value)
        if dimension == "channel":
            return bool(channel == value)
        if dimension == "category":
            return bool(category == ("" if value == UNCATEGORISED else value))
        if dimension == "status":
            return value == "all" or (status in OPEN_STATUSES if value == "open" else status == value)
        if value == "me":
            return bool(assignee == user_id)
        if value == "unassigned":
            return assignee is None
        return assignee is not None and assignee != user_id

    counts: dict[str, CappedCount] = {}
    for dimension in FACET_DIMENSIONS:
        others = {d: v for d, v in active.items() if d != dimension}
        if dimension != "status" and "status" not in others:
            others["status"] = "open"
        kept = [row for row in rows if all(matches(row, d, v) for d, v in others.items())]
        for value, _label in _options(dimension, supervisor=supervisor):
            n = sum(1 for row in kept if matches(row, dimension, value))
            counts[f"{dimension}={value}"] = CappedCount(value=min(n, cap), capped=n > cap or (truncated and n > 0))
    return counts


def counts_cache_key(*, params: QueryDict, user_id: int, supervisor: bool) -> str:
    # Agents see different closed complaints and "assigned to me" differs per person.
    relevant = sorted(
        (k, v) for k, v in params.items() if k in (*FACET_DIMENSIONS, "q", "received_from", "received_to")
    )
    digest = hashlib.sha256(repr(relevant).encode()).hexdigest()[:32]
    return f"agents:counts:{'s' if supervisor else 'a'}:{user_id}:{digest}"


def page_url(params: QueryDict, *, after: str | None = None, before: str | None = None) -> str:
    query = params.copy()
    query.pop("after", None)
    query.pop("before", None)
    if after:
        query["after"] = after
    if before:
        query["before"] = before
    return f"?{query.urlencode()}"
