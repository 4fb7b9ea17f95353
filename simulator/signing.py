"""The providers' signing side, written from their documentation.

Deliberately independent of `ingestion.signatures` (the verifying side): traffic signed here and
accepted there means both read the documentation the same way. Twilio's own package does the
Twilio signature, since that package is what Twilio publishes for exactly this.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def twilio(*, url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 over the full URL followed by each sorted key+value."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


def vonage(*, params: Mapping[str, str], secret: str, method: str = "md5hash") -> str:
    """Vonage SMS API `sig`: every parameter but sig, sorted, as "&key=value" with & and = in values
    replaced by "_"; md5hash appends the secret and takes MD5, the HMAC methods key an HMAC with it.
    """
    message = "".join(
        f"&{key}={str(params[key]).replace('&', '_').replace('=', '_')}" for key in sorted(params) if key != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((message + secret).encode(), usedforsecurity=False).hexdigest()
    digest = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}[method]
    # Vonage sends HMAC signatures in upper case.
    return hmac.new(secret.encode(), message.encode(), digest).hexdigest().upper()


def meta_headers(*, body: bytes, app_secret: str) -> dict[str, str]:
    """X-Hub-Signature-256 (sha256=hex HMAC of the raw body) and its legacy SHA-1 twin."""
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest(),
    }


def x(*, data: bytes, consumer_secret: str) -> str:
    """x-twitter-webhooks-signature and the CRC response_token: sha256= + base64 HMAC-SHA256."""
    return "sha256=" + base64.b64encode(hmac.new(consumer_secret.encode(), data, hashlib.sha256).digest()).decode()
