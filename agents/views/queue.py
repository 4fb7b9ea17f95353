"""The queue: open complaints, urgent first then oldest, filters with counts, keyset pages."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from agents.filters import STATUS_CHOICES, ComplaintFilter
from agents.forms import BulkForm, ResolveForm, assignable_users
from agents.permissions import agent_required, is_supervisor
from agents.queue import (
    COUNTS_CACHE_SECONDS,
    FACET_DIMENSIONS,
    counts_cache_key,
    page_url,
    queue_facet_counts,
    queue_facets,
)
from classification.models import Category
from warehouse.selectors import (
    QueuePosition,
    complaint_capped_count,
    complaint_list_base,
    complaint_queue_page,
    complaint_scope,
)
from warehouse.services import complaints_bulk_assign, complaints_bulk_resolve

PAGE_SIZE = 50
UUID_ZERO = uuid.UUID(int=0)


def _position(token: str | None) -> QueuePosition | None:
    if not token:
        return None
    try:
        return QueuePosition.decode(token)
    except ValueError:
        return None  # a stale or mangled link shows the first page rather than an error


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    supervisor = is_supervisor(request.user)
    scope = complaint_list_base()
    filterset = ComplaintFilter(request.GET, queryset=scope, request=request)
    valid = filterset.is_valid()
    qs = filterset.qs if valid else scope.none()
    page = complaint_queue_page(
        qs, after=_position(request.GET.get("after")), before=_position(request.GET.get("before")), size=PAGE_SIZE
    )
    complaint_prefix = reverse("agents:complaint", args=[UUID_ZERO]).removesuffix(f"{UUID_ZERO}/")
    context = {
        "filterset": filterset,
        "page": page,
        "total": complaint_capped_count(qs),
        "facets": queue_facets(params=request.GET, supervisor=supervisor),
        "counts_url": reverse("agents:counts") + ("?" + request.GET.urlencode() if request.GET else ""),
        "next_url": page_url(request.GET, after=page.next.encode()) if page.next else "",
        "previous_url": page_url(request.GET, before=page.previous.encode()) if page.previous else "",
        "first_url": page_url(request.GET) if request.GET.get("after") or request.GET.get("before") else "",
        "supervisor": supervisor,
        # One plain query (a ModelChoiceField would count, then iterate a server-side cursor).
        "assignees": [
            (pk, f"{first} {last} ({username})".strip() if (first or last) else username)
            for pk, username, first, last in assignable_users().values_list("pk", "username", "first_name", "last_name")
        ]
        if supervisor
        else [],
        "resolve_form": ResolveForm(),
        "filtered": any(request.GET.get(k) for k in filterset.form.fields),
        "here": request.get_full_path(),
        # One reverse() for the page, not three per row: reversing is a visible share of the render.
        "rows": [(c, f"{complaint_prefix}{c.pk}/") for c in page.items],
        "here_quoted": quote(request.get_full_path(), safe=""),
        "hidden_params": [(k, request.GET[k]) for k in FACET_DIMENSIONS if request.GET.get(k)],
        "heading": dict(STATUS_CHOICES).get(request.GET.get("status", ""), "Queue")
        if request.GET.get("status") not in (None, "", "open")
        else "Queue",
        "section": "queue",
        "category_names": dict(Category.objects.values_list("slug", "name")),
    }
    return render(request, "agents/queue.html", context)


@require_GET
@agent_required
def queue_counts(request: HttpRequest) -> JsonResponse:
    """The per-filter counts of the queue page, fetched by the page after it has shown the list."""
    supervisor = is_supervisor(request.user)
    key = counts_cache_key(params=request.GET, user_id=int(request.user.pk or 0), supervisor=supervisor)
    counts = cache.get(key)
    if counts is None:
        found = queue_facet_counts(
            params=request.GET, scope=complaint_list_base(), request=request, supervisor=supervisor
        )
        counts = {name: {"value": c.value, "capped": c.capped, "text": str(c)} for name, c in found.items()}
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return JsonResponse({"counts": counts, "cached_seconds": COUNTS_CACHE_SECONDS})


@require_POST
@agent_required
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = safe_next(request, reverse("agents:queue"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    supervisor = is_supervisor(request.user)
    # Only complaints this person can see: an agent cannot act on ids guessed from elsewhere.
    visible = complaint_scope(user_id=request.user.pk, see_all=supervisor)
    ids = list(visible.filter(id__in=form.cleaned_data["ids"]).values_list("id", flat=True))
    action = form.cleaned_data["action"]
    if action == "assign" and not supervisor:
        messages.error(request, "Only supervisors assign complaints to other agents.")
        return HttpResponseRedirect(back)
    if action == "resolve":
        result = complaints_bulk_resolve(
            complaint_ids=ids, actor=request.user, note=form.cleaned_data["note"], may_override=supervisor
        )
        verb = "Resolved"
    else:
        assignee = request.user if action == "take" else form.cleaned_data["assignee"]
        result = complaints_bulk_assign(
            complaint_ids=ids, actor=request.user, assignee=assignee, may_override=supervisor
        )
        verb = f"Assigned to {assignee.get_username()}:"
    missing = len(form.cleaned_data["ids"]) - len(ids)
    if result.done:
        messages.success(request, f"{verb} {', '.join(result.done)}.")
    for reference, reason in result.conflicts:
        messages.error(request, reason if reference in reason else f"{reference}: {reason}")
    if missing:
        messages.error(request, f"{missing} of the ticked complaints could not be found.")
    return HttpResponseRedirect(back)


def safe_next(request: HttpRequest, default: str, *, name: str = "next") -> str:
    target = request.POST.get(name) or request.GET.get(name) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
