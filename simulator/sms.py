"""Inbound SMS the way Twilio and Vonage deliver them, signed with the account's secret."""

from __future__ import annotations

import json
import random
import secrets
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from simulator import signing
from simulator.deliveries import Delivery, Expected
from simulator.texts import Utterance, lexicon

TWILIO_PATH = "/webhooks/twilio/sms/"
VONAGE_PATH = "/webhooks/vonage/inbound-sms/"
OUR_TWILIO_NUMBER = "+447700900456"
OUR_VONAGE_NUMBER = "447700900789"
# A single GSM-7 SMS segment; longer texts arrive at Vonage as a concatenated message in parts.
VONAGE_SEGMENT = 153


def twilio_params(utterance: Utterance, rng: random.Random, *, with_media: bool = False) -> dict[str, str]:
    sid = "SM" + secrets.token_hex(16)
    params = {
        "ToCountry": "GB",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": utterance.text,
        "FromCountry": "GB",
        "To": OUR_TWILIO_NUMBER,
        "MessagingServiceSid": "MG" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "ToZip": "",
        "NumSegments": str(max(1, (len(utterance.text) + 152) // 153)),
        "MessageSid": sid,
        "AccountSid": "AC" + "5e1c0f3b9a7d4e2f8c6b1a0d9e8f7a6b",
        "From": lexicon.uk_mobile(rng),
        "ApiVersion": "2010-04-01",
    }
    if with_media:
        params["NumMedia"] = "1"
        params["MediaContentType0"] = "image/jpeg"
        params["MediaUrl0"] = (
            f"https://api.twilio.com/2010-04-01/Accounts/{params['AccountSid']}/Messages/{sid}/Media/ME{secrets.token_hex(16)}"
        )
    return params


def twilio_delivery(
    params: dict[str, str], *, base_url: str, auth_token: str, kind: str = "valid", expected: tuple[Expected, ...] = ()
) -> Delivery:
    url = base_url.rstrip("/") + TWILIO_PATH
    body = urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signing.twilio(url=url, params=params, auth_token=auth_token),
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        "User-Agent": "TwilioProxy/1.1",
    }
    return Delivery("twilio", "POST", TWILIO_PATH, body, headers, expected, kind)


def twilio_message(utterance: Utterance, rng: random.Random, *, base_url: str, auth_token: str) -> Delivery:
    params = twilio_params(utterance, rng, with_media=rng.random() < 0.05)
    expected = (Expected("sms", "sms", (f"twilio:{params['MessageSid']}",), utterance),)
    return twilio_delivery(params, base_url=base_url, auth_token=auth_token, expected=expected)


def _vonage_base(rng: random.Random, msisdn: str, text: str, now: datetime) -> dict[str, str]:
    return {
        "msisdn": msisdn,
        "to": OUR_VONAGE_NUMBER,
        "messageId": secrets.token_hex(8).upper(),
        "text": text,
        "type": "unicode" if any(ord(c) > 0x7F for c in text) else "text",
        "keyword": (text.split(" ", 1)[0] or "X").upper()[:20],
        "api-key": "a1b2c3d4",
        "message-timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
        "timestamp": str(int(now.timestamp())),
        "nonce": str(uuid.uuid4()),
    }


def vonage_delivery(
    params: dict[str, str],
    *,
    secret: str,
    method: str,
    as_json: bool,
    kind: str = "valid",
    expected: tuple[Expected, ...] = (),
) -> Delivery:
    signed = {**params, "sig": signing.vonage(params=params, secret=secret, method=method)}
    if as_json:
        body, content_type = json.dumps(signed).encode(), "application/json"
    else:
        body, content_type = urlencode(signed).encode(), "application/x-www-form-urlencoded"
    return Delivery("vonage", "POST", VONAGE_PATH, body, {"Content-Type": content_type}, expected, kind)


def vonage_message(utterance: Utterance, rng: random.Random, *, secret: str, method: str) -> list[Delivery]:
    """One delivery for a short text, several (shuffled, as the network delivers them) for a long one."""
    now = datetime.now(UTC)
    msisdn = lexicon.uk_mobile(rng).lstrip("+")
    as_json = rng.random() < 0.5
    text = utterance.text
    if len(text) <= 160:
        params = _vonage_base(rng, msisdn, text, now)
        expected = (Expected("sms", "sms", (f"vonage:{params['messageId']}",), utterance),)
        return [vonage_delivery(params, secret=secret, method=method, as_json=as_json, expected=expected)]
    parts = [text[i : i + VONAGE_SEGMENT] for i in range(0, len(text), VONAGE_SEGMENT)]
    ref = str(rng.randrange(1, 255))
    part_params = []
    for number, part in enumerate(parts, start=1):
        params = _vonage_base(rng, msisdn, part, now)
        params.update(
            {"concat": "true", "concat-ref": ref, "concat-total": str(len(parts)), "concat-part": str(number)}
        )
        part_params.append(params)
    # The reassembled message is keyed by part 1's id. Every part carries the expectation: the
    # message counts as accepted only when all its parts were.
    expected = (Expected("sms", "sms", (f"vonage:{part_params[0]['messageId']}",), utterance),)
    deliveries = [
        vonage_delivery(p, secret=secret, method=method, as_json=as_json, expected=expected) for p in part_params
    ]
    rng.shuffle(deliveries)
    return deliveries
