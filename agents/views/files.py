"""Attachments and raw events, streamed from the lake to people allowed to see them.

The lake is never exposed: no public or pre-signed URL leaves the server, every byte goes
through these views, which check the complaint's visibility first. What a customer uploaded
is served with a sandboxing Content-Security-Policy, so a crafted file cannot run script in
the agents' origin.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from agents.permissions import agent_required, can_read_raw
from agents.selectors import raw_event_for
from agents.views.complaint import INLINE_TYPES, visible_complaint
from lake import LakeError, LakeObjectMissing, get_lake

SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _stream(key: str, *, content_type: str, filename: str, inline: bool) -> FileResponse:
    try:
        handle = get_lake().open(key)
    except LakeObjectMissing as exc:
        raise Http404("The file is not in the lake.") from exc
    except (LakeError, OSError) as exc:
        raise Http404(f"The lake cannot be read right now: {exc}") from exc
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@agent_required
def attachment(request: HttpRequest, pk: Any, index: int) -> HttpResponseBase:
    complaint = visible_complaint(request, pk)
    items = complaint.attachments or []
    if index >= len(items) or not isinstance(items[index], dict):
        raise Http404("No such attachment.")
    item = items[index]
    key = str(item.get("lake_key") or "")
    # Only our own copies under attachments/: a record can never point this view at raw/ or quarantine/.
    if not key.startswith("attachments/") or ".." in key.split("/"):
        raise Http404("This attachment has no copy in the lake.")
    declared = str(item.get("content_type") or "")
    inline = declared in INLINE_TYPES
    return _stream(
        key,
        content_type=declared if inline else "application/octet-stream",
        filename=str(item.get("filename") or key.rsplit("/", 1)[-1]),
        inline=inline,
    )


@require_GET
@agent_required
def raw_event(request: HttpRequest, pk: Any) -> HttpResponseBase:
    if not can_read_raw(request.user):
        raise PermissionDenied("Only admins read raw events.")
    complaint = visible_complaint(request, pk)
    event = raw_event_for(raw_event_id=complaint.raw_event_id)
    if event is None:
        raise Http404("This complaint has no raw event.")
    return _stream(
        event.lake_key,
        content_type="application/octet-stream",
        filename=event.lake_key.rsplit("/", 1)[-1],
        inline=False,
    )
