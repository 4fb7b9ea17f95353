"""One complaint: the detail page and every action on it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agents.filters import ComplaintFilter
from agents.forms import AssignForm, DismissForm, NoteForm, RelabelForm, ResolveForm
from agents.permissions import agent_required, can_read_raw, is_supervisor
from agents.selectors import raw_event_for
from agents.views.queue import safe_next
from classification.models import Category
from lake import LakeError, get_lake
from warehouse.models import Complaint, ComplaintEvent
from warehouse.selectors import (
    OPEN_STATUSES,
    QueuePosition,
    complaint_history,
    complaint_list_base,
    complaint_queue_page,
    complaint_scope,
)
from warehouse.services import (
    ComplaintConflict,
    complaint_assign,
    complaint_dismiss,
    complaint_note,
    complaint_relabel,
    complaint_resolve,
    complaint_start,
)

RAW_PREVIEW_BYTES = 64 * 1024
# Shown in the page; anything else is offered as a download.
INLINE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}


def visible_complaint(request: HttpRequest, pk: Any) -> Complaint:
    """The complaint if this person may see it, else 404 (no hint that it exists)."""
    scope = complaint_scope(user_id=request.user.pk, see_all=is_supervisor(request.user))
    complaint = scope.filter(pk=pk).first()
    if complaint is None:
        raise Http404("No such complaint.")
    return complaint


def _queue_url(request: HttpRequest) -> str:
    """The queue page this person came from, filters and all (the `next` link); else the plain queue."""
    return safe_next(request, reverse("agents:queue"))


def _queue_params(queue_url: str) -> QueryDict:
    # Only the queue's own address carries queue filters; any other page's query means nothing here.
    parts = urlsplit(queue_url)
    return QueryDict(parts.query) if parts.path == reverse("agents:queue") else QueryDict()


def _next_in_queue(complaint: Complaint, request: HttpRequest, queue_url: str) -> Complaint | None:
    """The open complaint after this one in the queue the agent is working: same filters, same order.

    An agent working "SMS, billing" must not be sent to a social-media complaint by "next".
    Open complaints are every agent's to see, so the status is narrowed to the open ones: no
    per-person condition (and no OR) is needed.
    """
    params = _queue_params(queue_url).copy()
    if params.get("status") not in OPEN_STATUSES:
        params["status"] = "open"
    filterset = ComplaintFilter(params, queryset=complaint_list_base(), request=request)
    qs = filterset.qs if filterset.is_valid() else complaint_list_base().filter(status__in=OPEN_STATUSES)
    page = complaint_queue_page(qs, after=QueuePosition.of(complaint), size=1)
    return page.items[0] if page.items else None


def _detail_url(complaint: Complaint, queue_url: str) -> str:
    """A complaint's page that still knows the way back to the queue it was opened from."""
    url = reverse("agents:complaint", args=[complaint.pk])
    return url if queue_url == reverse("agents:queue") else f"{url}?next={quote(queue_url, safe='')}"


def _raw_preview(event: Any) -> dict[str, Any] | None:
    if event is None:
        return None
    try:
        with get_lake().open(event.lake_key) as handle:
            head = handle.read(RAW_PREVIEW_BYTES + 1)
    except LakeError as exc:
        return {"event": event, "error": str(exc)}
    except OSError as exc:
        return {"event": event, "error": f"lake read failed: {exc}"}
    return {
        "event": event,
        "text": head[:RAW_PREVIEW_BYTES].decode("utf-8", errors="replace"),
        "truncated": len(head) > RAW_PREVIEW_BYTES,
    }


@require_GET
@agent_required
def complaint_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    complaint = visible_complaint(request, pk)
    supervisor = is_supervisor(request.user)
    names = dict(Category.objects.values_list("slug", "name"))
    queue_url = _queue_url(request)
    next_complaint = _next_in_queue(complaint, request, queue_url) if complaint.is_open else None
    history = list(complaint_history(complaint_id=complaint.pk))
    # After an agent changes the category, the confidence still belongs to the model's own label:
    # the one the first change moved away from. Showing it beside the agent's label would mislead.
    relabels = [event for event in history if event.action == ComplaintEvent.Action.RELABELLED]
    model_category = str(relabels[0].data.get("from") or "") if relabels else complaint.category
    context = {
        "complaint": complaint,
        "history": history,
        "relabelled": bool(relabels),
        "relabelled_by": relabels[-1].actor if relabels else None,
        "model_category_name": names.get(model_category, model_category),
        "category_names": names,
        "supervisor": supervisor,
        "hands_on": supervisor or complaint.assigned_to_id in (None, request.user.pk),
        "category_name": names.get(complaint.category, complaint.category),
        "customer_category_name": names.get(complaint.customer_category, complaint.customer_category),
        "attachments": [
            (index, item, item.get("content_type") in INLINE_TYPES)
            for index, item in enumerate(complaint.attachments or [])
            if isinstance(item, dict)
        ],
        "raw": _raw_preview(raw_event_for(raw_event_id=complaint.raw_event_id)) if can_read_raw(request.user) else None,
        "next_complaint": next_complaint,
        "next_complaint_url": _detail_url(next_complaint, queue_url) if next_complaint else "",
        "note_form": NoteForm(),
        "resolve_form": ResolveForm(),
        "dismiss_form": DismissForm(),
        "relabel_form": RelabelForm(initial={"category": complaint.category, "expected": complaint.category}),
        "assign_form": AssignForm(initial={"assignee": complaint.assigned_to_id}),
        "back": queue_url,
    }
    return render(request, "agents/detail.html", context)


ACTIONS = ("take", "assign", "note", "start", "resolve", "dismiss", "relabel")
SIGHT_ACTIONS = ("note", "relabel")  # allowed in any state: only on a complaint the person may see
DONE = {
    "take": "{ref} is yours.",
    "assign": "{ref} assigned.",
    "note": "Note added to {ref}.",
    "start": "{ref} is in progress.",
    "resolve": "{ref} resolved.",
    "dismiss": "{ref} dismissed as not a complaint; the classifier will learn from it.",
    "relabel": "{ref} moved to another category; the classifier will learn from it.",
}


@require_POST
@agent_required
def complaint_action(request: HttpRequest, pk: Any, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    # A status change may be tried on any complaint; the service decides, and an agent who lost a
    # race is told who won rather than shown a 404 because the complaint left their view. A note or
    # a relabel is allowed in any state, so it needs the complaint in the person's sight (as the
    # API's needs_sight): else an agent could write to a colleague's closed complaint.
    found = visible_complaint(request, pk) if action in SIGHT_ACTIONS else Complaint.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such complaint.")
    complaint = found
    detail_url = reverse("agents:complaint", args=[complaint.pk])
    back = safe_next(request, detail_url)
    # Errors show the complaint again, keeping its way back to the queue when the form sent it.
    again = back if back.startswith(detail_url) else detail_url
    supervisor = is_supervisor(request.user)
    try:
        done = _perform(request, complaint, action, supervisor=supervisor)
    except ComplaintConflict as exc:
        # The other agent won: say so plainly, and show the complaint as it is now, if still visible.
        messages.error(request, str(exc))
        still_visible = complaint_scope(user_id=request.user.pk, see_all=supervisor).filter(pk=complaint.pk).exists()
        return HttpResponseRedirect(again if still_visible else reverse("agents:queue"))
    except (ValueError, _Invalid) as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(again)
    messages.success(request, DONE[action].format(ref=done.reference))
    if action in ("resolve", "dismiss") and request.POST.get("then") == "next":
        # The forms send `queue`: the queue page the agent opened this complaint from.
        queue_url = safe_next(request, reverse("agents:queue"), name="queue")
        following = _next_in_queue(complaint, request, queue_url)
        return HttpResponseRedirect(_detail_url(following, queue_url) if following is not None else queue_url)
    return HttpResponseRedirect(back)


class _Invalid(Exception):
    pass


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise _Invalid(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return dict(form.cleaned_data)


def _perform(request: HttpRequest, complaint: Complaint, action: str, *, supervisor: bool) -> Complaint:
    actor: Any = request.user
    common: dict[str, Any] = {"complaint_id": complaint.pk, "actor": actor}
    if action == "take":
        return complaint_assign(**common, assignee=actor, may_override=supervisor)
    if action == "assign":
        if not supervisor:
            raise _Invalid("Only supervisors assign complaints to other agents.")
        data = _valid(AssignForm(request.POST))
        return complaint_assign(**common, assignee=data["assignee"], may_override=True)
    if action == "note":
        return complaint_note(**common, note=_valid(NoteForm(request.POST))["note"])
    if action == "start":
        return complaint_start(**common, may_override=supervisor)
    if action == "resolve":
        return complaint_resolve(**common, note=_valid(ResolveForm(request.POST))["note"], may_override=supervisor)
    if action == "dismiss":
        data = _valid(DismissForm(request.POST))
        return complaint_dismiss(**common, reason=data["reason"], note=data["note"], may_override=supervisor)
    data = _valid(RelabelForm(request.POST))
    return complaint_relabel(
        **common,
        category=data["category"],
        expected_category=data["expected"] if "expected" in request.POST else None,
        may_override=supervisor,
    )
