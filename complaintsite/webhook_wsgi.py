"""Provider webhooks get a WSGI handler of their own, with a shorter middleware stack.

A webhook is a machine calling with a signed body: no session, no logged-in user, no CSRF token
(the views are csrf_exempt and verify the provider's signature instead), no flash messages, no
page to frame, no static file. Running the session, CSRF, auth, messages, clickjacking and
WhiteNoise middleware on every delivery cost about 40 µs of CPU each, a third of Django's own
share of a request (docs/benchmarks.md). Everything else is the site's: the same URLconf, views,
settings and error handling; security, common and the process-sampling middleware still run.

`route_webhooks` wraps the site's WSGI application: a path under /webhooks/ goes to the webhook
handler, anything else to the site's handler, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

WEBHOOK_PREFIX = "/webhooks/"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler without the middleware in settings.WEBHOOK_SKIPS_MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE only. This runs once, while the WSGI
        # module is imported (before any request thread exists), so swapping the list for the
        # duration of the build is seen by nobody else.
        site_middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in site_middleware if m not in settings.WEBHOOK_SKIPS_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = site_middleware


def route_webhooks(site: WSGIApp) -> WSGIApp:
    webhooks = WebhookHandler()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = webhooks if environ.get("PATH_INFO", "").startswith(WEBHOOK_PREFIX) else site
        return handler(environ, start_response)

    return application
