"""What every entry point shares: the body-size limit and the answers for a lake that is down."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


def body_limit(max_bytes: int) -> Callable[[View], View]:
    """413 before the body is read when the declared length is over the limit.

    A body without Content-Length is not read past the limit either: Django's LimitedStream
    stops at the declared length, and a missing length reads as empty.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"error": "Content-Length is not a number"}, status=400)
            if length > max_bytes:
                return JsonResponse({"error": f"request body is {length} bytes; the limit is {max_bytes}"}, status=413)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def lake_unavailable_response(exc: Exception) -> HttpResponse:
    """503 with Retry-After: providers retry, and nothing was recorded (rule 1)."""
    return unavailable_response("lake", exc)


def unavailable_response(what: str, exc: Exception) -> HttpResponse:
    """503 with Retry-After when a store the accept path needs is down: the provider retries."""
    logger.error("%s unavailable, answering 503: %s", what, exc)
    response = JsonResponse({"error": f"{what} temporarily unavailable, retry later"}, status=503)
    response["Retry-After"] = "30"
    return response


def error_response(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)
