"""Bad deliveries: correctly signed but the wrong shape (400, kept in quarantine), and forged (403).

A malformed delivery is signed properly on purpose: the signature check passes, so what is
exercised is the shape check and the quarantine, not the 403 path.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from simulator import signing, sms, social
from simulator.deliveries import Delivery
from simulator.secrets import ProviderSecrets
from simulator.texts import Utterance

_FILLER = Utterance("Order never arrived, want a refund.", True, "delivery")


def malformed(provider: str, rng: random.Random, secrets: ProviderSecrets, *, base_url: str) -> Delivery:
    if provider == "twilio":
        params = sms.twilio_params(_FILLER, rng)
        drop = rng.choice((("MessageSid", "SmsMessageSid", "SmsSid"), ("From",)))
        for key in drop:
            params.pop(key, None)
        d = sms.twilio_delivery(params, base_url=base_url, auth_token=secrets.twilio_auth_token, kind="malformed")
        return _noted(d, f"missing {drop[0]}")
    if provider == "vonage":
        params = sms._vonage_base(rng, "447700900123", _FILLER.text, _now())
        params.pop(rng.choice(("msisdn", "messageId")))
        return _noted(
            sms.vonage_delivery(
                params,
                secret=secrets.vonage_signature_secret,
                method=secrets.vonage_signature_method,
                as_json=rng.random() < 0.5,
                kind="malformed",
            ),
            "missing field",
        )
    if provider == "meta":
        body, _ = social.meta_body("facebook_dm", [_FILLER], rng)
        body = rng.choice((body[: len(body) // 2], b'{"object":"page","entry":"not a list"}', b"[]"))
        return _noted(social.meta_delivery(body, app_secret=secrets.meta_app_secret, kind="malformed"), "bad json")
    if provider == "x":
        body, _ = social.x_dm_body(_FILLER, rng)
        body = rng.choice(
            (
                body[: len(body) // 2],
                json.dumps(
                    {
                        "for_user_id": social.X_OUR_USER_ID,
                        "direct_message_events": [{"type": "message_create", "id": "1"}],
                    }
                ).encode(),
            )
        )
        return _noted(social.x_delivery(body, consumer_secret=secrets.x_consumer_secret, kind="malformed"), "bad json")
    raise ValueError(f"no malformed builder for {provider!r}")


FORGERIES = ("unsigned", "wrong secret", "tampered")


def forged(
    provider: str, rng: random.Random, secrets: ProviderSecrets, *, base_url: str, how: str | None = None
) -> Delivery:
    """Unsigned, or signed with the wrong secret, or altered after signing."""
    how = how or rng.choice(FORGERIES)
    wrong = ProviderSecrets(
        twilio_auth_token="f" * 32,
        vonage_signature_secret="not-the-secret",  # noqa: S106
        vonage_signature_method=secrets.vonage_signature_method,
        meta_app_secret="0" * 32,
        meta_verify_token="",
        x_consumer_secret="not-the-consumer-secret",  # noqa: S106
    )
    use = wrong if how == "wrong secret" else secrets
    if provider == "twilio":
        params = sms.twilio_params(_FILLER, rng)
        d = sms.twilio_delivery(params, base_url=base_url, auth_token=use.twilio_auth_token, kind="forged")
        headers = dict(d.headers)
        if how == "unsigned":
            headers.pop("X-Twilio-Signature")
        body = d.body.replace(b"refund", b"rEfund") if how == "tampered" else d.body
        return Delivery("twilio", "POST", d.path, body, headers, kind="forged", note=how)
    if provider == "vonage":
        params = sms._vonage_base(rng, "447700900123", _FILLER.text, _now())
        if how == "unsigned":
            body = json.dumps(params).encode()
            return Delivery(
                "vonage", "POST", sms.VONAGE_PATH, body, {"Content-Type": "application/json"}, kind="forged", note=how
            )
        d = sms.vonage_delivery(
            params, secret=use.vonage_signature_secret, method=use.vonage_signature_method, as_json=True, kind="forged"
        )
        body = d.body.replace(b"refund", b"rEfund") if how == "tampered" else d.body
        return Delivery("vonage", "POST", d.path, body, d.headers, kind="forged", note=how)
    if provider == "meta":
        body, _ = social.meta_body("facebook_dm", [_FILLER], rng)
        headers = {
            "Content-Type": "application/json",
            **signing.meta_headers(body=body, app_secret=use.meta_app_secret),
        }
        if how == "unsigned":
            headers = {"Content-Type": "application/json"}
        if how == "tampered":
            body = body.replace(b"refund", b"rEfund")
        return Delivery("meta", "POST", social.META_PATH, body, headers, kind="forged", note=how)
    if provider == "x":
        body, _ = social.x_dm_body(_FILLER, rng)
        headers = {
            "Content-Type": "application/json",
            "x-twitter-webhooks-signature": signing.x(data=body, consumer_secret=use.x_consumer_secret),
        }
        if how == "unsigned":
            headers.pop("x-twitter-webhooks-signature")
        if how == "tampered":
            body = body.replace(b"refund", b"rEfund")
        return Delivery("x", "POST", social.X_PATH, body, headers, kind="forged", note=how)
    raise ValueError(f"no forged builder for {provider!r}")


def _noted(d: Delivery, note: str) -> Delivery:
    return Delivery(d.provider, d.method, d.path, d.body, d.headers, d.expected, d.kind, note=note)


def _now() -> datetime:
    return datetime.now(UTC)
