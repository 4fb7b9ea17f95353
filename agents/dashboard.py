"""The staff dashboards (/dashboard/): a page, its JSON endpoint and a CSV download per chart.

Thin views: parse the filters, call the reporting selectors (which read the rollup tables, so the
page works the same on SQLite and PostgreSQL), render. The browser draws the charts.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from classification.models import Category
from classification.taxonomy import NOT_COMPLAINT_REASONS
from ingestion.sources import Source
from monitoring.selectors import active_spikes
from warehouse.reporting.selectors import (
    CHARTS,
    DashboardFilters,
    Table,
    dashboard_tables,
    rollup_freshness,
    sources_seen,
)

DEFAULT_DAYS = 30
MAX_DAYS = 400


class FilterError(ValueError):
    """A filter the dashboard cannot use; the message says which and why."""


def staff_only(*, api: bool) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Staff users only: the page sends others to log in; the data endpoints answer 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if user.is_authenticated and user.is_active and user.is_staff:
                return view(request, *args, **kwargs)
            if api:
                return JsonResponse({"error": "staff only"}, status=403)
            if user.is_authenticated:
                return render(request, "dashboard/forbidden.html", status=403)
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

        return wrapped

    return decorator


def source_choices() -> list[tuple[str, str]]:
    known = dict(Source.choices)
    extra = [(value, value) for value in sources_seen() if value not in known]
    return [*Source.choices, *extra]


def filters_parse(params: QueryDict) -> DashboardFilters:
    """start, end (YYYY-MM-DD, local days, inclusive) and source; defaults: the last 30 days."""
    today = timezone.localdate()
    end_text, start_text = str(params.get("end") or ""), str(params.get("start") or "")
    try:
        end = date.fromisoformat(end_text) if end_text else today
        start = date.fromisoformat(start_text) if start_text else end - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise FilterError(f"dates are YYYY-MM-DD: {exc}") from exc
    if start > end:
        raise FilterError("start is after end")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(f"a range of at most {MAX_DAYS} days, please")
    source = str(params.get("source") or "") or None
    if source is not None and source not in dict(source_choices()):
        raise FilterError(f"unknown source {source!r}")
    return DashboardFilters(start=start, end=end, source=source)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "source": dict(source_choices()),
        "category": {"": "Uncategorised", **dict(Category.objects.values_list("slug", "name"))},
        "reason": {reason: reason.capitalize() for reason in (*NOT_COMPLAINT_REASONS, "unknown")},
    }


def _kpis(tables: dict[str, Table]) -> dict[str, Any]:
    volume = tables["volume_by_source"]
    backlog = tables["backlog"].rows
    closed = sum(row[2] for row in backlog)
    return {
        "complaints": sum(sum(row[1:]) for row in volume.rows),
        "closed": closed,
        "open_at_end": backlog[-1][3] if backlog else 0,
        "filtered": sum(sum(row[1:]) for row in tables["filtered"].rows),
        "flagged_trends": sum(
            1 for name in ("trends_by_category", "trends_by_source") for row in tables[name].rows if row[-1]
        ),
    }


def _spikes(filters: DashboardFilters) -> list[dict[str, Any]]:
    """Volume spikes happening now (monitoring detects them; issue 8), for the banner."""
    spikes = active_spikes()
    if filters.source:
        spikes = [s for s in spikes if s.scope != "source" or s.key == filters.source]
    return [
        {
            "scope": spike.scope,
            "key": spike.key,
            "count": spike.count,
            "usual": spike.baseline_median,
            "window_start": spike.window_start.isoformat(),
            "window_end": spike.window_end.isoformat(),
        }
        for spike in spikes
    ]


@require_GET
@staff_only(api=False)
def dashboard_page(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        filters = filters_parse(request.GET)
    except FilterError as exc:
        error = str(exc)
        filters = filters_parse(QueryDict())
    return render(
        request,
        "dashboard/index.html",
        {
            "filters": filters,
            "filter_error": error,
            "sources": source_choices(),
            "charts": list(CHARTS),
            "data_url": reverse("dashboard:data"),
            "csv_url": reverse("dashboard:csv", args=["__chart__"]),
            "trend_rule": {
                "min_change": round(100 * settings.REPORTING_TREND_MIN_CHANGE),
                "min_count": settings.REPORTING_TREND_MIN_COUNT,
                "max_p": settings.REPORTING_TREND_MAX_P_VALUE,
            },
        },
        status=400 if error else 200,
    )


@require_GET
@staff_only(api=True)
def dashboard_data(request: HttpRequest) -> JsonResponse:
    try:
        filters = filters_parse(request.GET)
    except FilterError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    tables = dashboard_tables(filters)
    return JsonResponse(
        {
            "filters": {
                "start": filters.start.isoformat(),
                "end": filters.end.isoformat(),
                "source": filters.source,
            },
            "time_zone": settings.TIME_ZONE,
            "freshness": rollup_freshness(),
            "labels": _labels(),
            "kpis": _kpis(tables),
            "spikes": _spikes(filters),
            "charts": {name: table.as_json() for name, table in tables.items()},
        }
    )


@require_GET
@staff_only(api=True)
def dashboard_csv(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in CHARTS:
        return JsonResponse({"error": f"no chart called {chart!r}; try one of {', '.join(CHARTS)}"}, status=404)
    try:
        filters = filters_parse(request.GET)
    except FilterError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    table = CHARTS[chart](filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = f"_{filters.source}" if filters.source else ""
    response["Content-Disposition"] = f'attachment; filename="{chart}{suffix}_{filters.start}_{filters.end}.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.as_json()["rows"]:
        writer.writerow(["" if value is None else value for value in row])
    return response
