"""The simulator speaks the providers' formats: documented signatures, and payloads the adapters read.

Signatures are checked against the providers' published examples (the captured payloads and
their signatures in ingestion/tests/payloads/); payloads are checked by feeding them to the
real adapters and comparing the message keys with what the simulator expects to find stored.
"""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest

from ingestion.adapters import get_adapter
from ingestion.adapters.base import RawInput
from ingestion.calllogs.canonical import parse_csv, parse_jsonl
from ingestion.calllogs.records import CallRecord, RowReject
from simulator import calllogs, signing, sms, social
from simulator.texts import TextGenerator

PAYLOADS = Path(__file__).resolve().parents[2] / "ingestion" / "tests" / "payloads"
SIGNED = json.loads((PAYLOADS / "SIGNATURES.json").read_text())


def test_the_twilio_signature_matches_twilios_example() -> None:
    spec = SIGNED["twilio_sms.txt"]
    params = dict(parse_qsl((PAYLOADS / "twilio_sms.txt").read_text().strip(), keep_blank_values=True))
    signature = signing.twilio(url=spec["url"], params=params, auth_token=spec["secret"]["auth_token"])
    assert signature == spec["headers"]["X-Twilio-Signature"]


@pytest.mark.parametrize("name", ["meta_messenger.json", "meta_feed_comment.json", "whatsapp.json"])
def test_the_meta_signatures_match_the_examples(name: str) -> None:
    spec = SIGNED[name]
    headers = signing.meta_headers(body=(PAYLOADS / name).read_bytes(), app_secret=spec["secret"]["app_secret"])
    assert headers["X-Hub-Signature-256"] == spec["headers"]["X-Hub-Signature-256"]
    assert headers["X-Hub-Signature"] == spec["headers"]["X-Hub-Signature"]


def test_the_x_signature_and_crc_match_the_examples() -> None:
    spec = SIGNED["x_dm.json"]
    secret = spec["secret"]["consumer_secret"]
    assert (
        signing.x(data=(PAYLOADS / "x_dm.json").read_bytes(), consumer_secret=secret)
        == (spec["headers"]["x-twitter-webhooks-signature"])
    )
    # The cross-check vector quoted in x_crc.txt (secret 'apiSecret', token 'test token').
    assert (
        signing.x(data=b"test token", consumer_secret="apiSecret")
        == "sha256=O5hJl2njQRIa4vsumZ+3oom9ECR5m3aQLRZkPoYelp0="
    )


def test_vonage_signatures_follow_the_documented_recipe() -> None:
    params = {"text": "a&b=c", "msisdn": "447700900123", "timestamp": "1761412507"}
    # "&" and "=" in values become "_", keys sorted, "&key=value" each; md5hash appends the secret.
    message = "&msisdn=447700900123&text=a_b_c&timestamp=1761412507"
    import hashlib
    import hmac

    assert (
        signing.vonage(params=params, secret="s3cret", method="md5hash")
        == hashlib.md5((message + "s3cret").encode(), usedforsecurity=False).hexdigest()
    )
    assert signing.vonage(params=params, secret="s3cret", method="sha256") == (
        hmac.new(b"s3cret", message.encode(), hashlib.sha256).hexdigest().upper()
    )
    assert signing.vonage(params={**params, "sig": "ignored"}, secret="s3cret", method="md5hash") == signing.vonage(
        params=params, secret="s3cret", method="md5hash"
    )


def _raw(body: bytes, content_type: str) -> RawInput:
    return RawInput(body=body, received_at=datetime.now(UTC), content_type=content_type)


def test_twilio_messages_parse_into_the_keys_the_simulator_expects() -> None:
    rng = random.Random(1)
    gen = TextGenerator(seed=1)
    for _ in range(20):
        d = sms.twilio_message(gen.utterance("sms"), rng, base_url="http://127.0.0.1:8000", auth_token="t")
        [message] = get_adapter("twilio")(_raw(d.body, d.headers["Content-Type"]))
        [expected] = d.expected
        assert (message.source, message.external_id) == (expected.source, expected.keys[0])
        assert message.text.split()[:3] == expected.utterance.text.split()[:3]


@pytest.mark.django_db
def test_vonage_long_messages_arrive_in_shuffled_parts_and_reassemble_under_the_expected_key() -> None:
    rng = random.Random(2)
    gen = TextGenerator(seed=2)
    utterance = gen.utterance("web_form")  # long prose: several SMS parts
    while len(utterance.text) <= 320:
        utterance = gen.utterance("web_form")
    from simulator.texts import Utterance

    long_sms = Utterance(utterance.text, utterance.is_complaint, utterance.category)
    deliveries = sms.vonage_message(long_sms, rng, secret="s", method="md5hash")
    assert len(deliveries) >= 3
    found = []
    for d in deliveries:
        found += get_adapter("vonage")(_raw(d.body, d.headers["Content-Type"]))
    [message] = found  # the last part to arrive completes the message, whatever the order
    assert message.external_id == deliveries[0].expected[0].keys[0]
    assert message.text.replace(" ", "") == long_sms.text.replace(" ", "")


@pytest.mark.parametrize("seed", range(6))
def test_meta_posts_parse_into_exactly_the_expected_messages(seed: int) -> None:
    rng = random.Random(seed)
    gen = TextGenerator(seed=seed)
    for channel in social.META_CHANNELS:
        utterances = [gen.utterance(channel) for _ in range(1 + seed % 3)]
        body, expected = social.meta_body(channel, utterances, rng)
        messages = get_adapter("meta")(_raw(body, "application/json"))
        # Echoes, the Page's own replies and WhatsApp statuses never become messages.
        assert sorted(m.external_id for m in messages) == sorted(e.keys[0] for e in expected)
        assert {m.channel for m in messages} == {channel}


def test_x_events_parse_and_our_own_account_is_not_a_customer() -> None:
    rng = random.Random(3)
    gen = TextGenerator(seed=3)
    for build, channel in ((social.x_dm_body, "x_dm"), (social.x_mention_body, "x_mention")):
        body, expected = build(gen.utterance(channel), rng)
        [message] = get_adapter("x")(_raw(body, "application/json"))
        assert message.external_id == expected[0].keys[0] and message.channel == channel
        assert "&amp;" not in message.text  # the adapter undoes X's HTML escaping
        own_body, own_expected = build(gen.utterance(channel), rng, own=True)
        assert own_expected == () and get_adapter("x")(_raw(own_body, "application/json")) == []


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_call_log_files_parse_with_the_bad_rows_rejected_at_their_lines(fmt: str) -> None:
    rng = random.Random(4)
    log = calllogs.build(TextGenerator(seed=4), rng, calls=80, fmt=fmt, bad_share=0.1, duplicate_share=0.05)
    parse = parse_jsonl if fmt == "jsonl" else parse_csv
    parsed = list(parse(io.BytesIO(log.data), zone=ZoneInfo("Europe/London")))
    records = [p for p in parsed if isinstance(p, CallRecord)]
    rejects = [p for p in parsed if isinstance(p, RowReject)]
    assert sorted(r.line for r in rejects) == sorted(log.bad_rows) and log.bad_rows
    assert {r.call_id for r in records} == {e.keys[0] for e in log.expected}
    assert len(records) == len(log.expected) + log.duplicate_rows
    assert all(r.turns for r in records) and any(t.role == "customer" for t in records[0].turns or [])
