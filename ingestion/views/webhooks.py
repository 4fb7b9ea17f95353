"""Provider webhooks: verify the signature -> size limit -> shape check -> lake + ledger -> fast 200.

Every endpoint follows the same order (ARCHITECTURE rules 1, 2 and 5):

- secret not configured: 404, the source is switched off, never open to the world;
- body over WEBHOOK_MAX_BODY_BYTES: 413, decided from Content-Length before the body is read;
- missing or wrong signature: 403, nothing stored (an unsigned body is anybody's, and keeping it
  would let anybody fill the lake), counted in metrics;
- signed but malformed: 400 with the reason, the raw bytes kept under quarantine/;
- otherwise `raw_event_accept` (lake first, ledger row, enqueue on commit) and a fast 200.
  The adapter runs in the worker, over the bytes from the lake.

The size check runs before the signature check because verifying needs the whole body in memory.
"""

from __future__ import annotations

import functools
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

import metrics
from ingestion.adapters import PayloadError
from ingestion.adapters import meta as meta_adapter
from ingestion.adapters import twilio as twilio_adapter
from ingestion.adapters import vonage as vonage_adapter
from ingestion.adapters import x as x_adapter
from ingestion.adapters._payload import load_object
from ingestion.edge import body_limit, error_response, lake_unavailable_response, unavailable_response
from ingestion.services import raw_event_accept
from ingestion.signatures import (
    TwilioFormValues,
    meta_signature_valid,
    twilio_request_valid,
    vonage_signature_valid,
    x_crc_response_token,
    x_signature_valid,
)
from ingestion.sources import Source
from lake import LakeUnavailable, get_lake
from monitoring.alerts import alert_quarantined

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def webhook(name: str, *, setting_name: str) -> Callable[[View], View]:
    """The edge's frame: switched off without its secret (404), the body limit (413), metrics."""

    def decorator(view: View) -> View:
        limited = body_limit(settings.WEBHOOK_MAX_BODY_BYTES)(view)

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(settings, setting_name, ""):
                metrics.record_rejected(source=name, reason="disabled")
                return error_response(404, f"the {name} webhook is not configured")
            started = time.perf_counter()
            response = limited(request, *args, **kwargs)
            if response.status_code == 413:
                metrics.record_rejected(source=name, reason="too_large")
            elif response.status_code == 200 and request.method == "POST":
                metrics.record_received(source=name)
                metrics.observe_accept_seconds(source=name, seconds=time.perf_counter() - started)
            return response

        return wrapper

    return decorator


def _forbidden(name: str, reason: str) -> HttpResponse:
    metrics.record_rejected(source=name, reason="signature")
    return error_response(403, reason)


def _malformed(*, name: str, source: str, body: bytes, ext: str, reason: str, headers: dict[str, str]) -> HttpResponse:
    """400 with the reason; the signed-but-unusable bytes are kept under quarantine/ (rule 5).

    When the lake cannot take them, 503 instead, as for a valid delivery: a 400 would end the
    provider's retries with the bytes kept nowhere, while its retry after the outage gets the 400
    and leaves them in quarantine. (A retry cannot fix the bytes, but it can get them kept.)
    """
    try:
        stored = get_lake().quarantine(
            source=source,
            data=body,
            reason=reason,
            name=f"{name}.{ext}",
            details={"provider": name, "headers": headers},
        )
    except LakeUnavailable as exc:
        metrics.record_rejected(source=name, reason="lake_unavailable")
        logger.error("%s: malformed delivery (%s) could not be quarantined, answering 503", name, reason)
        return lake_unavailable_response(exc)
    metrics.record_rejected(source=name, reason="malformed")
    # Throttled e-mail to ADMINS; the key is the only way to find these bytes (no ledger row).
    alert_quarantined(source=source, reason=reason, lake_key=stored.key, stage=f"{name} webhook")
    return error_response(400, reason)


def _receive(
    *,
    name: str,
    source: str,
    body: bytes,
    ext: str,
    request: HttpRequest,
    headers: dict[str, str],
    content_type: str | None = None,
) -> HttpResponse | None:
    """Lake, ledger, enqueue (raw_event_accept). None when accepted; the 503 answer otherwise."""
    try:
        raw_event_accept(
            source=source,
            provider=name,
            body=body,
            ext=ext,
            content_type=request.META.get("CONTENT_TYPE", "") if content_type is None else content_type,
            headers=headers,
        )
    except LakeUnavailable as exc:
        metrics.record_rejected(source=name, reason="lake_unavailable")
        return lake_unavailable_response(exc)
    except (OperationalError, InterfaceError) as exc:
        # The bytes are in the lake but the ledger could not record them: ask for the retry that
        # a 5xx earns anyway, and say why. The lake copy is picked up by replay_lake if no retry comes.
        metrics.record_rejected(source=name, reason="database_unavailable")
        return unavailable_response("database", exc)
    return None


def _headers(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The headers worth keeping beside the raw bytes: content type, provider ids and signatures."""
    kept = {"Content-Type": request.META.get("CONTENT_TYPE", "")}
    for header in names:
        value = request.headers.get(header)
        if value:
            kept[header] = value[:500]
    return kept


# --- Twilio -------------------------------------------------------------------------------

TWILIO_HEADERS = (
    "X-Twilio-Signature",
    "X-Twilio-Webhooks-Signature-Settings",
    "I-Twilio-Idempotency-Token",
    "User-Agent",
)


def twilio_signed_url(request: HttpRequest) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path when set (behind a proxy that rewrites the
    host or scheme), else the URL as this request saw it (SECURE_PROXY_SSL_HEADER honoured)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


@csrf_exempt  # providers sign their requests; there is no browser session here
@require_http_methods(["POST"])
@webhook("twilio", setting_name="TWILIO_AUTH_TOKEN")
def twilio_sms(request: HttpRequest) -> HttpResponse:
    body = request.body
    try:
        # Read the way the worker reads it (strict): a body the worker could not use is refused here.
        form = twilio_adapter.parse_form_values(body)
    except PayloadError as exc:
        return _twilio_unreadable(request, body, exc)
    if not _twilio_signed(request, TwilioFormValues(form)):
        return _forbidden("twilio", "X-Twilio-Signature is missing or does not match")
    headers = _headers(request, TWILIO_HEADERS)
    try:
        twilio_adapter.check_shape({key: values[-1] for key, values in form.items()})
    except PayloadError as exc:
        return _malformed(name="twilio", source=Source.SMS, body=body, ext="form", reason=str(exc), headers=headers)
    failed = _receive(name="twilio", source=Source.SMS, body=body, ext="form", request=request, headers=headers)
    # Empty TwiML: Twilio sends no reply SMS. Agents answer from the queue, not the webhook.
    return failed or HttpResponse(TWIML_EMPTY, content_type="text/xml")


def _twilio_signed(request: HttpRequest, params: object) -> bool:
    return twilio_request_valid(
        url=twilio_signed_url(request),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
        auth_token=settings.TWILIO_AUTH_TOKEN,
        signature_settings=request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""),
    )


def _twilio_unreadable(request: HttpRequest, body: bytes, error: PayloadError) -> HttpResponse:
    """A body that is not a UTF-8 form: its signature is checked over the lenient reading that
    Twilio's own libraries use. Signed, it is Twilio's and malformed (400, quarantined);
    unsigned, it is anybody's (403, nothing kept)."""
    if not _twilio_signed(request, QueryDict(body, encoding="utf-8")):
        return _forbidden("twilio", "X-Twilio-Signature is missing or does not match")
    headers = _headers(request, TWILIO_HEADERS)
    return _malformed(name="twilio", source=Source.SMS, body=body, ext="form", reason=str(error), headers=headers)


# --- Vonage -------------------------------------------------------------------------------


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@csrf_exempt
@require_http_methods(["GET", "POST"])
@webhook("vonage", setting_name="VONAGE_SIGNATURE_SECRET")
def vonage_inbound_sms(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # Vonage's dashboard can deliver inbound SMS as GET: the parameters are the query string,
        # kept in the lake as the delivery's bytes (a form body, to the worker's adapter).
        body = request.META.get("QUERY_STRING", "").encode("latin-1")
        content_type = FORM_CONTENT_TYPE
    else:
        body = request.body
        content_type = request.META.get("CONTENT_TYPE", "")
    try:
        params = vonage_adapter.parse_params(body, content_type)
    except PayloadError:
        # The signature is one of the parameters: an unreadable body cannot be authenticated.
        return _forbidden("vonage", "the body could not be read, so its signature cannot be checked")
    if not vonage_signature_valid(
        params=params, secret=settings.VONAGE_SIGNATURE_SECRET, method=settings.VONAGE_SIGNATURE_METHOD
    ):
        return _forbidden("vonage", "sig is missing or does not match")
    ext = "json" if "json" in content_type.lower() else "form"
    headers = _headers(request, ("User-Agent",))
    if request.method == "GET":
        headers.update({"Content-Type": content_type, "Request-Method": "GET"})
    try:
        vonage_adapter.check_shape(params)
    except PayloadError as exc:
        return _malformed(name="vonage", source=Source.SMS, body=body, ext=ext, reason=str(exc), headers=headers)
    failed = _receive(
        name="vonage",
        source=Source.SMS,
        body=body,
        ext=ext,
        request=request,
        headers=headers,
        content_type=content_type,
    )
    return failed or HttpResponse(status=200)


# --- Meta ---------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
@webhook("meta", setting_name="META_APP_SECRET")
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _meta_verify(request)
    body = request.body
    if not meta_signature_valid(
        body=body, header=request.headers.get("X-Hub-Signature-256", ""), app_secret=settings.META_APP_SECRET
    ):
        return _forbidden("meta", "X-Hub-Signature-256 is missing or does not match")
    headers = _headers(request, ("X-Hub-Signature-256", "User-Agent"))
    try:
        # The whole extraction, discarded: anything the worker would refuse is refused here, with a 400.
        meta_adapter.extract(load_object(body), timezone.now())
    except PayloadError as exc:
        return _malformed(name="meta", source=Source.SOCIAL, body=body, ext="json", reason=str(exc), headers=headers)
    failed = _receive(name="meta", source=Source.SOCIAL, body=body, ext="json", request=request, headers=headers)
    return failed or HttpResponse("EVENT_RECEIVED", content_type="text/plain")


def _meta_verify(request: HttpRequest) -> HttpResponse:
    """The subscription handshake: echo hub.challenge when hub.verify_token is ours."""
    expected = settings.META_VERIFY_TOKEN
    if not expected:
        return error_response(404, "META_VERIFY_TOKEN is not configured")
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode != "subscribe" or not challenge or not hmac.compare_digest(token.encode(), expected.encode()):
        metrics.record_rejected(source="meta", reason="verify_token")
        return error_response(403, "hub.mode or hub.verify_token is wrong")
    return HttpResponse(challenge[:200], content_type="text/plain")


# --- X ------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
@webhook("x", setting_name="X_CONSUMER_SECRET")
def x_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        crc_token = request.GET.get("crc_token", "")
        if not crc_token:
            return error_response(400, "crc_token is missing")
        token = x_crc_response_token(crc_token=crc_token, consumer_secret=settings.X_CONSUMER_SECRET)
        return JsonResponse({"response_token": token})
    body = request.body
    if not x_signature_valid(
        body=body,
        header=request.headers.get("X-Twitter-Webhooks-Signature", ""),
        consumer_secret=settings.X_CONSUMER_SECRET,
    ):
        return _forbidden("x", "x-twitter-webhooks-signature is missing or does not match")
    headers = _headers(request, ("X-Twitter-Webhooks-Signature", "User-Agent"))
    try:
        x_adapter.extract(load_object(body), timezone.now())
    except PayloadError as exc:
        return _malformed(name="x", source=Source.SOCIAL, body=body, ext="json", reason=str(exc), headers=headers)
    failed = _receive(name="x", source=Source.SOCIAL, body=body, ext="json", request=request, headers=headers)
    return failed or HttpResponse(status=200)
