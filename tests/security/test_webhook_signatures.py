"""Every webhook refuses unsigned, wrongly signed and altered requests, and keeps nothing of them.

A thin cross-check of the channels' own tests: the requests here are built by the simulator's
signing code, written independently from the receivers' verification code. Each case has its
positive twin (the same request correctly signed is accepted), so none of these can pass by
refusing everything.
"""

from __future__ import annotations

import random

import pytest
from django.test import Client

from ingestion.models import RawEvent
from simulator import malformed, sms, social
from simulator.deliveries import Delivery
from simulator.secrets import ProviderSecrets
from simulator.texts import TextGenerator

pytestmark = pytest.mark.django_db

BASE_URL = "http://testserver"  # the host Django's test client calls: the URL Twilio signs
SECRETS = ProviderSecrets(
    twilio_auth_token="0123456789abcdef0123456789abcdef",
    vonage_signature_secret="vonage-signature-secret-for-tests",
    vonage_signature_method="sha256",
    meta_app_secret="abcdef0123456789abcdef0123456789",
    meta_verify_token="complaints-verify-7f3a",
    x_consumer_secret="xTestConsumerSecret0123456789abcdefghijklmnopqrst",
)
PROVIDERS = ("twilio", "vonage", "meta", "x")


@pytest.fixture(autouse=True)
def provider_secrets(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_AUTH_TOKEN = SECRETS.twilio_auth_token
    settings.VONAGE_SIGNATURE_SECRET = SECRETS.vonage_signature_secret
    settings.VONAGE_SIGNATURE_METHOD = SECRETS.vonage_signature_method
    settings.META_APP_SECRET = SECRETS.meta_app_secret
    settings.META_VERIFY_TOKEN = SECRETS.meta_verify_token
    settings.X_CONSUMER_SECRET = SECRETS.x_consumer_secret
    settings.PUBLIC_BASE_URL = ""


def post(client: Client, delivery: Delivery):  # type: ignore[no-untyped-def]
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "content-type"}
    return client.generic(
        delivery.method,
        delivery.path,
        data=delivery.body,
        content_type=delivery.headers.get("Content-Type", ""),
        headers=headers,
    )


def signed(provider: str, rng: random.Random) -> Delivery:
    gen = TextGenerator(seed=rng.randrange(1000))
    if provider == "twilio":
        return sms.twilio_message(gen.utterance("sms"), rng, base_url=BASE_URL, auth_token=SECRETS.twilio_auth_token)
    if provider == "vonage":
        utterance = gen.utterance("sms")
        while len(utterance.text) > 160:  # one part: the request alone is a whole message
            utterance = gen.utterance("sms")
        [delivery] = sms.vonage_message(
            utterance, rng, secret=SECRETS.vonage_signature_secret, method=SECRETS.vonage_signature_method
        )
        return delivery
    if provider == "meta":
        return social.meta_message(gen, rng, app_secret=SECRETS.meta_app_secret)
    return social.x_message(gen, rng, consumer_secret=SECRETS.x_consumer_secret)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_correctly_signed_delivery_is_accepted(client: Client, file_lake, provider: str) -> None:
    response = post(client, signed(provider, random.Random(1)))
    assert response.status_code == 200
    assert RawEvent.objects.filter(provider=provider).count() == 1


@pytest.mark.parametrize("how", malformed.FORGERIES)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unsigned_wrongly_signed_or_altered_delivery_is_refused_and_nothing_is_kept(
    client: Client, file_lake, provider: str, how: str
) -> None:
    delivery = malformed.forged(provider, random.Random(2), SECRETS, base_url=BASE_URL, how=how)
    response = post(client, delivery)
    assert response.status_code == 403
    assert RawEvent.objects.count() == 0
    # Nothing of it in the lake either: an unsigned body is anybody's (no raw, no quarantine).
    assert list(file_lake.list("")) == []


def test_meta_refuses_a_body_signed_only_with_the_legacy_sha1_header(client: Client, file_lake) -> None:
    delivery = signed("meta", random.Random(3))
    headers = {"X-Hub-Signature": delivery.headers["X-Hub-Signature"], "Content-Type": "application/json"}
    legacy_only = Delivery("meta", "POST", delivery.path, delivery.body, headers)
    assert post(client, legacy_only).status_code == 403
    assert RawEvent.objects.count() == 0


def test_twilio_refuses_a_signature_made_for_another_url(client: Client) -> None:
    rng = random.Random(4)
    params = sms.twilio_params(TextGenerator(seed=4).utterance("sms"), rng)
    elsewhere = sms.twilio_delivery(params, base_url="https://attacker.example", auth_token=SECRETS.twilio_auth_token)
    assert post(client, elsewhere).status_code == 403
    assert RawEvent.objects.count() == 0


def test_the_meta_handshake_refuses_a_wrong_verify_token(client: Client) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    assert client.get("/webhooks/meta/", {**query, "hub.verify_token": "guess"}).status_code == 403
    right = client.get("/webhooks/meta/", {**query, "hub.verify_token": SECRETS.meta_verify_token})
    assert right.status_code == 200 and right.content == b"1158201444"


def test_the_x_crc_answer_is_keyed_with_our_consumer_secret(client: Client) -> None:
    token = social.new_crc_token()
    response = client.get("/webhooks/x/", {"crc_token": token})
    assert response.status_code == 200
    expected = social.x_crc_expected(crc_token=token, consumer_secret=SECRETS.x_consumer_secret)
    assert response.json() == {"response_token": expected}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_webhook_without_its_secret_configured_is_switched_off(client: Client, settings, provider: str) -> None:
    setting = {
        "twilio": "TWILIO_AUTH_TOKEN",
        "vonage": "VONAGE_SIGNATURE_SECRET",
        "meta": "META_APP_SECRET",
        "x": "X_CONSUMER_SECRET",
    }[provider]
    delivery = signed(provider, random.Random(5))
    setattr(settings, setting, "")
    assert post(client, delivery).status_code == 404
    assert RawEvent.objects.count() == 0
