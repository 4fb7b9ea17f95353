"""Replay of the stored provider payloads: each is accepted exactly as recorded, with the signature
header it came with, and refused (403, nothing stored) after any single byte of it changes."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.test import Client

from ingestion.models import Message, RawEvent
from ingestion.tests.webhook_helpers import PAYLOADS, SIGNATURES, mutations, payload, provider_secrets  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]

SIGNED_FILES = sorted(SIGNATURES)


def replay(client: Client, name: str, body: bytes | None = None):  # type: ignore[no-untyped-def]
    spec = SIGNATURES[name]
    headers = {
        "HTTP_" + key.upper().replace("-", "_"): value
        for key, value in spec["headers"].items()
        if key.lower() != "content-type"
    }
    return client.generic(
        spec["method"],
        urlsplit(spec["url"]).path,
        payload(name) if body is None else body,
        content_type=spec["headers"]["Content-Type"],
        **headers,
    )


def test_every_signed_payload_file_is_covered_by_the_replay() -> None:
    assert SIGNED_FILES == [
        "meta_feed_comment.json",
        "meta_messenger.json",
        "twilio_sms.txt",
        "whatsapp.json",
        "x_dm.json",
    ]
    for name in [*SIGNED_FILES, "meta_verify.txt", "x_crc.txt", "twilio_response_empty.xml"]:
        assert (PAYLOADS / name).is_file(), name


@pytest.mark.parametrize("name", SIGNED_FILES)
def test_a_stored_payload_is_accepted_as_is_and_lands_in_the_lake_byte_for_byte(
    client: Client, file_lake, name: str
) -> None:
    response = replay(client, name)
    assert response.status_code == 200, response.content
    event = RawEvent.objects.get()
    assert file_lake.read(event.lake_key) == payload(name)
    assert event.status == RawEvent.Status.RECEIVED  # the worker runs on commit, not in the request


def test_twilio_gets_the_empty_twiml_it_expects(client: Client) -> None:
    response = replay(client, "twilio_sms.txt")
    assert response["Content-Type"].startswith("text/xml")
    assert response.content == payload("twilio_response_empty.xml").strip()


@pytest.mark.parametrize("name", SIGNED_FILES)
def test_a_stored_payload_with_any_single_byte_changed_is_refused_and_nothing_is_kept(
    client: Client, file_lake, name: str
) -> None:
    original = payload(name)
    for index, changed in mutations(original):
        response = replay(client, name, changed)
        assert response.status_code == 403, f"{name}: byte {index} changed, answered {response.status_code}"
    assert RawEvent.objects.count() == 0
    assert list(file_lake.list("raw")) == [] and list(file_lake.list("quarantine")) == []


@pytest.mark.parametrize("name", SIGNED_FILES)
def test_a_stored_payload_is_refused_without_its_signature_header(client: Client, name: str) -> None:
    spec = SIGNATURES[name]
    response = client.generic(
        spec["method"], urlsplit(spec["url"]).path, payload(name), content_type=spec["headers"]["Content-Type"]
    )
    assert response.status_code == 403
    assert RawEvent.objects.count() == 0


def test_the_meta_handshake_from_the_stored_request_echoes_the_challenge(client: Client) -> None:
    request_line = payload("meta_verify.txt").decode().splitlines()[0]
    target = request_line.split()[1]
    response = client.get(target)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"
    assert client.get(target.replace("complaints-verify-7f3a", "complaints-verify-0000")).status_code == 403


def test_the_x_crc_from_the_stored_request_gets_the_expected_response_token(client: Client) -> None:
    lines = payload("x_crc.txt").decode().splitlines()
    target = lines[0].split()[1]
    expected = json.loads(next(line for line in lines if line.startswith("{")))
    response = client.get(target)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == expected
    # Extra query parameters are tolerated: only crc_token is used.
    assert client.get(target + "&nonce=abc").json() == expected


def test_replaying_every_stored_payload_through_the_worker_gives_the_documented_messages(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for name in SIGNED_FILES:
            assert replay(client, name).status_code == 200
    assert set(RawEvent.objects.values_list("status", flat=True)) == {RawEvent.Status.PROCESSED}
    channels = sorted(Message.objects.values_list("channel", flat=True))
    # Messenger: 2 of 3 entries (the third is the Page's echo); feed: 1 of 2 (the Page's reply).
    assert channels == ["facebook_comment", "facebook_dm", "facebook_dm", "sms", "whatsapp", "x_dm"]
