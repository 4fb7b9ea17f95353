"""Twilio and Vonage inbound SMS as the providers send them beyond the plain case (fixtures under
payloads/sms_variant_*): WhatsApp senders, opt-out keywords, emoji and non-Latin scripts, media,
Vonage's form and JSON bodies, unicode type, keywords, long SMS in parts out of order, and the
Messages API payload this endpoint does not take."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client

from ingestion.adapters import twilio, vonage
from ingestion.adapters.base import PayloadError, RawInput
from ingestion.models import Message, RawEvent
from ingestion.tests.webhook_helpers import (
    post_twilio,
    post_vonage_form,
    post_vonage_json,
    provider_secrets,  # noqa: F401
    vonage_signed,
)

PAYLOADS = Path(__file__).resolve().parent / "payloads"
RECEIVED = datetime(2025, 10, 26, 9, 0, tzinfo=UTC)


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def vonage_json(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(payload(name))
    return data


def raw(body: bytes, content_type: str = "") -> RawInput:
    return RawInput(body=body, received_at=RECEIVED, content_type=content_type)


# --- Twilio -------------------------------------------------------------------------------


def test_a_twilio_opt_out_keeps_the_keyword_and_says_twilio_acted_on_it() -> None:
    (message,) = twilio.parse(raw(payload("sms_variant_twilio_optout.txt")))
    assert message.text == "STOP"
    assert message.metadata["opt_out_type"] == "STOP"
    assert message.occurred_at == RECEIVED  # Twilio sends no event time


def test_emoji_and_non_latin_scripts_reach_the_message_unchanged() -> None:
    (message,) = twilio.parse(raw(payload("sms_variant_twilio_unicode.txt")))
    assert message.text == "Мой заказ не пришёл 😡👨\u200d👩\u200d👧 — طلبي لم يصل، 我的订单还没到！"
    assert message.metadata["num_segments"] == "3"


def test_a_whatsapp_image_without_words_is_a_message_with_its_attachment_and_profile() -> None:
    (message,) = twilio.parse(raw(payload("sms_variant_twilio_whatsapp_media.txt")))
    assert (message.channel, message.customer_handle, message.contact_phone) == (
        "whatsapp",
        "+233201234567",
        "+233201234567",
    )
    assert message.customer_name == "Ama 🌸 Owusu"
    assert message.text == ""
    (attachment,) = message.attachments
    assert attachment.content_type == "image/jpeg"
    assert attachment.url.endswith("/Media/ME0000000000000000000000000000001")
    assert (message.metadata["wa_id"], message.metadata["message_type"]) == ("233201234567", "image")


@pytest.mark.django_db
@pytest.mark.usefixtures("provider_secrets")
def test_a_signed_sms_in_non_latin_scripts_is_stored_end_to_end(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, payload("sms_variant_twilio_unicode.txt")).status_code == 200
    assert RawEvent.objects.get().status == RawEvent.Status.PROCESSED
    assert Message.objects.get().text.startswith("Мой заказ не пришёл")


# --- Vonage: single messages --------------------------------------------------------------


def test_a_vonage_unicode_sms_in_json_uses_message_timestamp_as_utc() -> None:
    body = payload("sms_variant_vonage_unicode.json")
    (message,) = vonage.parse(raw(body, "application/json"))
    assert message.text == "Здравствуйте, мой счёт неверный 😡"
    assert message.occurred_at == datetime(2025, 10, 25, 23, 59, 59, tzinfo=UTC)  # not shifted to local time
    assert message.customer_handle == message.contact_phone == "+447700900001"
    assert message.metadata == {"to": "+447700900000", "type": "unicode", "keyword": "ЗДРАВСТВУЙТЕ"}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", ""])
def test_a_vonage_query_string_body_reads_like_the_json_one(content_type: str) -> None:
    (message,) = vonage.parse(raw(payload("sms_variant_vonage_query.txt"), content_type))
    assert message.external_id == "vonage:0A0000000777ABCD2"
    assert message.text == "Здравствуйте, мой счёт неверный 😡"
    assert message.occurred_at == datetime(2025, 10, 25, 23, 59, 59, tzinfo=UTC)
    assert message.metadata["keyword"] == "ЗДРАВСТВУЙТЕ"


def test_a_messages_api_payload_is_refused_with_a_reason_that_names_it() -> None:
    params = vonage.parse_params(payload("sms_variant_vonage_messages_api.json"), "application/json")
    with pytest.raises(PayloadError, match="Messages API"):
        vonage.check_shape(params)


@pytest.mark.django_db
@pytest.mark.usefixtures("provider_secrets")
def test_a_signed_messages_api_payload_is_400_and_kept(client: Client) -> None:
    response = post_vonage_json(client, vonage_signed(vonage_json("sms_variant_vonage_messages_api.json")))
    assert response.status_code == 400
    assert b"Messages API" in response.content
    assert Message.objects.count() == 0


# --- Vonage: long SMS in parts -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("provider_secrets")
@pytest.mark.parametrize("as_form", [False, True])
def test_a_two_part_sms_delivered_last_part_first_is_one_message(
    client: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
    as_form: bool,
) -> None:
    parts = [vonage_json(f"sms_variant_vonage_concat_part{n}.json") for n in (2, 1)]
    post = post_vonage_form if as_form else post_vonage_json
    with django_capture_on_commit_callbacks(execute=True):
        for part in parts:
            assert post(client, vonage_signed(part)).status_code == 200
    message = Message.objects.get()
    assert message.text == (
        "Your engineer missed the appointment again today and I took a day off "
        "work for it. This is the third time; I want compensation."
    )
    assert message.external_id == "vonage:0D00000008880001"  # part 1's id, though it came last
    assert message.occurred_at == datetime(2025, 10, 25, 16, 1, tzinfo=UTC)  # the earliest part
