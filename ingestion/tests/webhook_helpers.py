"""Shared by the webhook tests: the stored payloads, the providers' secrets, and signed POSTs.

Signing uses the same functions the edge uses to verify, plus the `twilio` package's own
RequestValidator. The replayed files with their recorded headers (test_webhook_replay.py) and the
published vectors (test_webhook_vonage.py, test_webhook_x.py) pin those functions to the
providers' own examples, so a test cannot pass with the same wrong scheme on both sides.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from ingestion.signatures import meta_signature, twilio_signature, vonage_signature, x_signature

PAYLOADS = Path(__file__).resolve().parent / "payloads"
SIGNATURES: dict[str, dict[str, Any]] = json.loads((PAYLOADS / "SIGNATURES.json").read_text())

PUBLIC_BASE_URL = "https://complaints.example.com"
TWILIO_TOKEN = SIGNATURES["twilio_sms.txt"]["secret"]["auth_token"]
META_SECRET = SIGNATURES["meta_messenger.json"]["secret"]["app_secret"]
META_VERIFY_TOKEN = "complaints-verify-7f3a"  # from meta_verify.txt
X_SECRET = SIGNATURES["x_dm.json"]["secret"]["consumer_secret"]
VONAGE_SECRET = "vonage-signature-secret-0123456789"

TWILIO_URL = f"{PUBLIC_BASE_URL}/webhooks/twilio/sms/"
TWILIO_PATH = "/webhooks/twilio/sms/"
VONAGE_PATH = "/webhooks/vonage/inbound-sms/"
META_PATH = "/webhooks/meta/"
X_PATH = "/webhooks/x/"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


@pytest.fixture
def provider_secrets(settings) -> None:  # type: ignore[no-untyped-def]
    """Every provider switched on with the test secrets; Twilio signs the public URL."""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.META_APP_SECRET = META_SECRET
    settings.META_VERIFY_TOKEN = META_VERIFY_TOKEN
    settings.X_CONSUMER_SECRET = X_SECRET
    settings.VONAGE_SIGNATURE_SECRET = VONAGE_SECRET
    settings.VONAGE_SIGNATURE_METHOD = "md5hash"


# --- signed requests ---------------------------------------------------------------------


def twilio_form(params: dict[str, str]) -> bytes:
    return urlencode(params).encode()


def post_twilio(client: Client, body: bytes, *, url: str = TWILIO_URL, signature: str | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    if signature is None:
        params = {k: v[-1] for k, v in _qs(body).items()}
        signature = twilio_signature(url=url, params=params, auth_token=TWILIO_TOKEN)
    return client.generic(
        "POST",
        TWILIO_PATH,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
        **extra,
    )


def _qs(body: bytes) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(body.decode(), keep_blank_values=True)


def post_meta(client: Client, body: bytes, *, signature: str | None = None, secret: str = META_SECRET):  # type: ignore[no-untyped-def]
    signature = meta_signature(body=body, app_secret=secret) if signature is None else signature
    return client.generic("POST", META_PATH, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)


def post_x(client: Client, body: bytes, *, signature: str | None = None, secret: str = X_SECRET):  # type: ignore[no-untyped-def]
    signature = x_signature(data=body, consumer_secret=secret) if signature is None else signature
    return client.generic(
        "POST",
        X_PATH,
        body,
        content_type="application/json; charset=utf-8",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature,
    )


def vonage_signed(
    params: dict[str, Any], *, method: str = "md5hash", secret: str = VONAGE_SECRET, upper: bool = False
) -> dict[str, Any]:
    signed = {k: v for k, v in params.items() if k != "sig"}
    sig = vonage_signature(params=signed, secret=secret, method=method)
    # Vonage sends HMAC signatures in upper case, md5hash in lower case.
    signed["sig"] = sig.upper() if upper else sig
    return signed


def post_vonage_json(client: Client, params: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.generic("POST", VONAGE_PATH, json.dumps(params).encode(), content_type="application/json")


def post_vonage_form(client: Client, params: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.generic(
        "POST", VONAGE_PATH, urlencode(params).encode(), content_type="application/x-www-form-urlencoded"
    )


def json_payload(name: str) -> dict[str, Any]:
    return json.loads(payload(name))


def messages_by_id(messages: Sequence[Any], prefix: str) -> dict[str, Any]:
    """An adapter's messages keyed by their provider id (the external id without `prefix`);
    fails when one id comes out twice."""
    found = {m.external_id.removeprefix(prefix): m for m in messages}
    assert len(found) == len(messages), "an external id came out twice"
    return found


def compact(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# --- concurrency -------------------------------------------------------------------------


def run_in_threads(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each in its own thread with its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def mutations(body: bytes, *, step: int = 1) -> Iterator[tuple[int, bytes]]:
    """The body with one byte replaced, at every `step`-th position (a different, printable byte)."""
    for index in range(0, len(body), step):
        replacement = b"Z" if body[index : index + 1] != b"Z" else b"Y"
        yield index, body[:index] + replacement + body[index + 1 :]
