"""complaintsite/webhook_wsgi.py: the WSGI application served by gunicorn sends /webhooks/ through
a shorter middleware stack and everything else through the site's, both over real requests."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from complaintsite import wsgi
from ingestion.models import RawEvent
from ingestion.signatures import twilio_signature
from ingestion.tests.webhook_helpers import (
    PUBLIC_BASE_URL,
    TWILIO_PATH,
    TWILIO_TOKEN,
    TWILIO_URL,
    _qs,
    payload,
    provider_secrets,  # noqa: F401  (fixture)
)

SMS = payload("twilio_sms.txt")


def _call(method: str, path: str, body: bytes = b"", **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, dict(response_headers)

    response = wsgi.application(environ, start_response)
    try:
        content = b"".join(response)
    finally:
        getattr(response, "close", lambda: None)()
    return answer["status"], answer["headers"], content


@pytest.fixture
def public_testserver(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["testserver"]
    assert PUBLIC_BASE_URL  # Twilio signs the public URL, whatever Host the request came with


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provider_secrets")
def test_a_signed_delivery_through_the_served_application_is_accepted_without_browser_middleware(
    public_testserver: None, durable_file_lake: Any, private_queue: str
) -> None:
    params = {k: v[-1] for k, v in _qs(SMS).items()}
    signature = twilio_signature(url=TWILIO_URL, params=params, auth_token=TWILIO_TOKEN)
    status, headers, content = _call("POST", TWILIO_PATH, SMS, **{"X-Twilio-Signature": signature})
    assert status.startswith("200") and headers["Content-Type"].startswith("text/xml")
    assert content.startswith(b"<?xml") and RawEvent.objects.count() == 1
    # Not run for a webhook: clickjacking (X-Frame-Options), sessions and CSRF (no cookie, no Vary).
    assert "X-Frame-Options" not in headers and "Set-Cookie" not in headers
    assert "Cookie" not in headers.get("Vary", "")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provider_secrets")
def test_a_wrong_signature_is_refused_the_same_way_on_the_short_stack(
    public_testserver: None, durable_file_lake: Any
) -> None:
    status, _, content = _call("POST", TWILIO_PATH, SMS, **{"X-Twilio-Signature": "bm90IGl0"})
    assert status.startswith("403") and b"X-Twilio-Signature" in content
    assert RawEvent.objects.count() == 0


@pytest.mark.django_db
def test_every_other_path_keeps_the_sites_middleware(public_testserver: None) -> None:
    status, headers, _ = _call("GET", "/no-such-page/")
    assert status.startswith("404") and headers["X-Frame-Options"] == "DENY"
    status, headers, _ = _call("GET", "/webhooks-lookalike/")
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_an_unknown_path_under_webhooks_gets_the_sites_404_page_without_the_user_middleware(
    public_testserver: None,
) -> None:
    # The 404 page's layout asks for the user; on the short stack there is none, and it must not fail.
    status, headers, content = _call("GET", "/webhooks/no-such-provider/")
    assert status.startswith("404") and b"Not found" in content
    assert "X-Frame-Options" not in headers
