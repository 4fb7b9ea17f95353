"""Filtered messages: what the classifier said is not a complaint, with its reason; promote one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agents.forms import REASON_LABELS, PromoteForm
from agents.permissions import agent_required
from agents.selectors import filtered_messages, filtered_messages_page
from agents.services import message_promote
from agents.views.queue import safe_next
from classification.taxonomy import NOT_COMPLAINT_REASONS
from ingestion.models import Message
from warehouse.selectors import complaint_capped_count
from warehouse.services import ComplaintConflict


@require_GET
@agent_required
def filtered_list(request: HttpRequest) -> HttpResponse:
    reason = request.GET.get("reason", "")
    text = request.GET.get("q", "")
    qs = filtered_messages(reason=reason, text=text)
    page = filtered_messages_page(qs, after=request.GET.get("after", ""))
    reasons = [
        (r, REASON_LABELS.get(r, r), complaint_capped_count(filtered_messages(reason=r, text=text)))
        for r in NOT_COMPLAINT_REASONS
    ]
    params = request.GET.copy()
    params.pop("after", None)
    next_url = ""
    if page.next:
        params["after"] = page.next
        next_url = f"?{params.urlencode()}"
    return render(
        request,
        "agents/filtered.html",
        {
            "page": page,
            "reason": reason,
            "q": text,
            "reasons": reasons,
            "total": complaint_capped_count(qs),
            "reason_labels": REASON_LABELS,
            "promote_form": PromoteForm(),
            "next_url": next_url,
            "here": request.get_full_path(),
            "section": "filtered",
        },
    )


@require_POST
@agent_required
def promote(request: HttpRequest, pk: Any) -> HttpResponse:
    back = safe_next(request, reverse("agents:filtered"))
    form = PromoteForm(request.POST)
    if not form.is_valid():
        flash.error(request, "Choose a category from the list.")
        return HttpResponseRedirect(back)
    try:
        complaint = message_promote(message_id=pk, actor=request.user, category=form.cleaned_data["category"])
    except Message.DoesNotExist as exc:
        raise Http404("No such message.") from exc
    except ComplaintConflict as exc:
        flash.error(request, str(exc))
        return HttpResponseRedirect(back)
    url = reverse("agents:complaint", args=[complaint.pk])
    flash.success(request, f"Promoted into the queue as {complaint.reference}.")
    return HttpResponseRedirect(url if request.POST.get("then") == "open" else back)
