"""Samples the web process's RSS and CPU for /metrics, at most once every few seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

import metrics

logger = logging.getLogger(__name__)


class ProcessSampleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            metrics.process_sample(role="web")  # throttled inside: a time comparison per request
        except Exception:  # psutil on an exotic platform: never the request's problem
            logger.debug("process sample failed", exc_info=True)
        return response
