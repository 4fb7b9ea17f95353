"""Each provider's request signature, computed and checked the way the provider documents it.

Every check compares in constant time and answers False (never raises) on a missing or
malformed header, so the view has one path for "not signed by the provider": 403.
The `*_signature` functions are the signing side; tests sign their fixtures with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from twilio.request_validator import RequestValidator, get_signature_algorithm

# --- Twilio ---------------------------------------------------------------------------------


def twilio_request_valid(
    *, url: str, params: object, signature: str, auth_token: str, signature_settings: str = ""
) -> bool:
    """X-Twilio-Signature over the URL Twilio called plus the sorted POST parameters.

    `params` is a TwilioFormValues, a Django QueryDict or a dict: repeated keys are signed
    the way Twilio signs them. The `twilio` package's validator also tries the URL with and without the
    default port, because Twilio's signing side is inconsistent about it. Webhooks signed
    with a SharedKey name their algorithm in X-Twilio-Webhooks-Signature-Settings.
    """
    if not signature or not auth_token:
        return False
    algorithm = get_signature_algorithm(signature_settings)
    validator = RequestValidator(auth_token)
    if "bodySHA256=" not in url:
        # The common case first: one HMAC over the URL exactly as given. `validate` below always
        # computes two (with and without the default port); it is the fallback, not the first try.
        try:
            if hmac.compare_digest(validator.compute_signature(url, params, algorithm).encode(), signature.encode()):
                return True
        except ValueError:  # an algorithm the package does not know
            return False
    return bool(validator.validate(url, params, signature, algorithm=algorithm))


class TwilioFormValues(dict[str, list[str]]):
    """A parsed form (key -> every value) as the validator reads one: through `getall`, the
    multi-dict protocol it tries first. Cheaper than a Django QueryDict, signed the same way."""

    def getall(self, key: str) -> list[str]:
        return self[key]


def twilio_signature(*, url: str, params: Mapping[str, str], auth_token: str) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, params))


# --- Vonage (SMS API signed webhooks) -----------------------------------------------------

VONAGE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")


def _vonage_value(value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    elif isinstance(value, (int, float)):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    # Vonage's signing side replaces these in values so that "&k=v" stays unambiguous.
    return text.replace("&", "_").replace("=", "_")


def vonage_signature(*, params: Mapping[str, object], secret: str, method: str) -> str:
    """Lower-case hex signature of every parameter but `sig`, sorted by name, as "&name=value".

    md5hash: MD5 of that string followed by the secret. md5/sha1/sha256/sha512: HMAC of that
    string keyed by the secret. (Vonage sends HMACs in upper case; comparison ignores case.)
    """
    if method not in VONAGE_METHODS:
        raise ValueError(f"unknown Vonage signature method {method!r}; use one of {', '.join(VONAGE_METHODS)}")
    message = "".join(f"&{key}={_vonage_value(params[key])}" for key in sorted(params) if key != "sig")
    if method == "md5hash":
        return hashlib.md5((message + secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), message.encode(), method).hexdigest()


def vonage_signature_valid(*, params: Mapping[str, object], secret: str, method: str) -> bool:
    given = params.get("sig")
    if not isinstance(given, str) or not given or not secret:
        return False
    expected = vonage_signature(params=params, secret=secret, method=method)
    return hmac.compare_digest(given.strip().lower().encode(), expected.encode())


# --- Meta (Messenger, Instagram, Pages, WhatsApp Cloud API) -------------------------------


def meta_signature(*, body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def meta_signature_valid(*, body: bytes, header: str, app_secret: str) -> bool:
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body, keyed by the app secret."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    given = header.strip()[len("sha256=") :].lower()
    expected = meta_signature(body=body, app_secret=app_secret)[len("sha256=") :]
    return hmac.compare_digest(given.encode(), expected.encode())


# --- X (Account Activity API) -------------------------------------------------------------


def x_signature(*, data: bytes, consumer_secret: str) -> str:
    """ "sha256=" + base64 HMAC-SHA256 keyed by the consumer secret: the POST signature and the CRC answer."""
    digest = hmac.new(consumer_secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_signature_valid(*, body: bytes, header: str, consumer_secret: str) -> bool:
    if not header or not consumer_secret:
        return False
    expected = x_signature(data=body, consumer_secret=consumer_secret)
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def x_crc_response_token(*, crc_token: str, consumer_secret: str) -> str:
    return x_signature(data=crc_token.encode(), consumer_secret=consumer_secret)
