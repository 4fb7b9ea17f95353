"""The public complaint form at /complaints/new/."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from ingestion.edge import body_limit
from ingestion.forms import ComplaintForm
from ingestion.sources import Source
from ingestion.webform import web_form_submission_receive
from lake import LakeUnavailable, get_lake


def _body_before_csrf(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Read the raw body before the CSRF check parses the form.

    CsrfViewMiddleware reads request.POST; for a multipart body that consumes the stream, and
    request.body (the bytes the lake must get) then raises. Read first, and POST is parsed
    from the cached bytes.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            request.body  # noqa: B018 - caches the bytes
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt  # not exempt: the check runs inside, after the body is read (_body_before_csrf)
@require_http_methods(["GET", "POST"])
@body_limit(settings.FORM_MAX_BODY_BYTES)
@_body_before_csrf
@csrf_protect
def complaint_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "ingestion/complaint_form.html", {"form": ComplaintForm()})

    body = request.body  # read before request.POST: the lake gets the bytes as received
    form = ComplaintForm(request.POST, request.FILES)
    if not form.is_valid():
        _quarantine_rejected(body, form)
        return render(request, "ingestion/complaint_form.html", {"form": form}, status=400)
    try:
        submission = web_form_submission_receive(
            body=body,
            content_type=request.META.get("CONTENT_TYPE", ""),
            attachments=form.clean_attachments_list,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except LakeUnavailable:
        return render(request, "ingestion/complaint_unavailable.html", status=503)
    request.session["submitted_reference"] = submission.reference
    return redirect("ingestion:complaint_submitted")


@require_http_methods(["GET"])
def complaint_submitted(request: HttpRequest) -> HttpResponse:
    reference = request.session.get("submitted_reference")
    if not reference:
        return redirect("ingestion:complaint_new")
    return render(request, "ingestion/complaint_submitted.html", {"reference": reference})


def _quarantine_rejected(body: bytes, form: ComplaintForm) -> None:
    """Rejected submissions are kept too (rule 5), with the form's errors as the reason."""
    try:
        get_lake().quarantine(
            source=Source.WEB_FORM,
            data=body,
            reason="form validation failed",
            name="submission.multipart",
            details={"errors": json.loads(form.errors.as_json())},
        )
    except LakeUnavailable:
        pass  # the customer still sees the errors; nothing was accepted
