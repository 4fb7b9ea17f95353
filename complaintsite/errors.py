"""Server-error answers: a database that is down is a 503 the client can retry, not a 500.

Django calls `handler500` from inside the `except` block that caught the exception, so
`sys.exc_info()` still names it. An OperationalError or InterfaceError from the database (it is
down, restarting, or refusing connections) is a temporary outage: answer 503 with Retry-After,
as the webhook edge already does, so that browsers show "try again" and clients back off.
Anything else stays a 500. Rendered without the request: no context processor may touch the
database that has just failed (sessions, the user).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_JSON_PREFIXES = ("/api/", "/webhooks/", "/dashboard/data", "/metrics", "/healthz", "/readyz")


def _wants_json(request: HttpRequest) -> bool:
    if request.path.startswith(_JSON_PREFIXES):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable, answering 503 for %s: %s", request.path, exc)
        response: HttpResponse
        if _wants_json(request):
            response = JsonResponse({"error": "database temporarily unavailable, retry later"}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _wants_json(request):
        return JsonResponse({"error": "internal server error"}, status=500)
    return HttpResponseServerError(render_to_string("500.html"))
