"""The public complaint form at /complaints/new/."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from ingestion.edge import body_limit
from ingestion.forms import ComplaintForm
from ingestion.sources import Source
from ingestion.webform import submission_digest, web_form_submission_receive
from lake import LakeUnavailable, get_lake

logger = logging.getLogger(__name__)

# How long a sent form is remembered. A second click, a refresh or the back button sends it
# again within minutes; the same words hours later are a repeat contact, which counts.
SUBMISSION_MEMORY_SECONDS = 3600
# How long a second click waits for the first one's reference before it is taken on its own.
SUBMISSION_WAIT_SECONDS = 10.0
_PENDING = "pending"


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


def _too_big_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A customer whose files are too big together gets a page, not body_limit's JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 413:
            context = {
                "max_files": settings.FORM_MAX_ATTACHMENTS,
                "max_mb": settings.FORM_MAX_ATTACHMENT_BYTES // 1_048_576,
            }
            return render(request, "ingestion/complaint_too_big.html", context, status=413)
        return response

    return wrapper


@csrf_exempt  # not exempt: the check runs inside, after the body is read (_body_before_csrf)
@require_http_methods(["GET", "POST"])
@_too_big_page
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
        # A browser cannot be given files back: say so, or the customer sends without them.
        context = {"form": form, "files_dropped": bool(request.FILES)}
        return render(request, "ingestion/complaint_form.html", context, status=400)
    fingerprint = form.fingerprint()
    earlier = _earlier_reference(fingerprint)
    if earlier:
        _quarantine_duplicate(body, earlier)
        request.session["submitted_reference"] = earlier
        return redirect("ingestion:complaint_submitted")
    try:
        submission = web_form_submission_receive(
            body=body,
            content_type=request.META.get("CONTENT_TYPE", ""),
            attachments=form.clean_attachments_list,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            digest=submission_digest(request.POST, request.FILES),
        )
    except LakeUnavailable:
        _submission_forget(fingerprint)
        return render(request, "ingestion/complaint_unavailable.html", status=503)
    except Exception:
        _submission_forget(fingerprint)  # a retry must not wait for a reference that never comes
        raise
    _submission_remember(fingerprint, submission.reference)
    request.session["submitted_reference"] = submission.reference
    return redirect("ingestion:complaint_submitted")


@require_http_methods(["GET"])
def complaint_submitted(request: HttpRequest) -> HttpResponse:
    reference = request.session.get("submitted_reference")
    if not reference:
        return redirect("ingestion:complaint_new")
    return render(request, "ingestion/complaint_submitted.html", {"reference": reference})


def _submission_key(fingerprint: str) -> str:
    return f"web_form:submission:{fingerprint}"


def _earlier_reference(fingerprint: str) -> str | None:
    """The reference this same form already got, else None after claiming it.

    A double click sends the form twice at once: the second request waits for the first one's
    reference. The cache is only a convenience: when it is down, the complaint is taken.
    """
    key = _submission_key(fingerprint)
    deadline = time.monotonic() + SUBMISSION_WAIT_SECONDS
    try:
        while not cache.add(key, _PENDING, SUBMISSION_MEMORY_SECONDS):
            reference = cache.get(key)
            if reference and reference != _PENDING:
                return str(reference)
            if time.monotonic() > deadline:
                return None  # the first request is stuck or gone: take this one
            time.sleep(0.2)
    except Exception:  # any cache failure: take the complaint
        logger.warning("sent-form cache unavailable; a form sent twice may become two complaints", exc_info=True)
    return None


def _submission_remember(fingerprint: str, reference: str) -> None:
    try:
        cache.set(_submission_key(fingerprint), reference, SUBMISSION_MEMORY_SECONDS)
    except Exception:  # the complaint is taken; only the repeat check is lost
        logger.warning("could not remember sent form %s", fingerprint, exc_info=True)


def _submission_forget(fingerprint: str) -> None:
    try:
        cache.delete(_submission_key(fingerprint))
    except Exception:  # it expires by itself
        logger.warning("could not forget sent form %s", fingerprint, exc_info=True)


def _quarantine_duplicate(body: bytes, reference: str) -> None:
    """A form sent again is not a new complaint, but its bytes are kept like any refusal."""
    _quarantine(body, reason="form sent again", details={"reference": reference})


def _quarantine_rejected(body: bytes, form: ComplaintForm) -> None:
    """Rejected submissions are kept too (rule 5), with the form's errors as the reason."""
    _quarantine(body, reason="form validation failed", details={"errors": json.loads(form.errors.as_json())})


def _quarantine(body: bytes, *, reason: str, details: dict[str, Any]) -> None:
    try:
        get_lake().quarantine(
            source=Source.WEB_FORM, data=body, reason=reason, name="submission.multipart", details=details
        )
    except LakeUnavailable:
        # Nothing is lost: a refused form was never accepted (the customer sees why), and a form
        # sent again is in the lake already as the complaint it repeats.
        logger.warning("web form: could not quarantine a %s (lake unavailable)", reason)
