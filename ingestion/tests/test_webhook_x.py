"""GET|POST /webhooks/x/: the X Account Activity API. GET answers the CRC check; POST is signed with
x-twitter-webhooks-signature and carries direct_message_events and tweet_create_events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

import metrics
from ingestion.models import Message, RawEvent
from ingestion.signatures import x_crc_response_token
from ingestion.tests.webhook_helpers import (
    X_PATH,
    compact,
    json_payload,
    payload,
    post_x,
    provider_secrets,  # noqa: F401
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]


def accept(client: Client, capture, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = post_x(client, body)
    assert response.status_code == 200, response.content


# --- CRC ----------------------------------------------------------------------------------


def test_the_crc_answer_matches_the_published_cross_check_vector() -> None:
    # nyaruka/courier's X handler test: secret "apiSecret", crc_token "test token".
    expected = "sha256=O5hJl2njQRIa4vsumZ+3oom9ECR5m3aQLRZkPoYelp0="
    assert x_crc_response_token(crc_token="test token", consumer_secret="apiSecret") == expected


def test_the_crc_get_answers_with_the_response_token_as_json(client: Client) -> None:
    response = client.get(X_PATH, {"crc_token": "Nmc4ZDJiZGItZDJhYS00Njk2LWI0NTctYjI1MWUxYjA0YjJm"})
    assert response.status_code == 200
    assert response.json() == {"response_token": "sha256=Sere6fnkfdR1xXrE3ubxyLyhVloYR0XIJw0sB8iOCFY="}


def test_a_crc_get_without_a_token_is_400(client: Client) -> None:
    assert client.get(X_PATH).status_code == 400


def test_the_endpoint_is_404_while_the_consumer_secret_is_unset(client: Client, settings) -> None:
    settings.X_CONSUMER_SECRET = ""
    assert client.get(X_PATH, {"crc_token": "abc"}).status_code == 404
    assert post_x(client, payload("x_dm.json"), secret="x").status_code == 404


# --- events -------------------------------------------------------------------------------


def test_a_direct_message_is_unescaped_and_timed_from_its_millisecond_string(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("x_dm.json"))
    message = Message.objects.get()
    assert message.external_id == "x:1849301746520318977"
    assert (message.source, message.channel) == ("social", "x_dm")
    assert message.text == "Flight BA-0000 cancelled & no rebooking offered >:( I need a refund for booking ZX7Q2P"
    assert (message.customer_handle, message.customer_name) == ("dana_oneill_", "Dana O'Neill")
    assert message.occurred_at == datetime(2025, 10, 25, 18, 4, 55, 321000, tzinfo=UTC)
    assert message.metadata["user_id"] == "1587302648301928449"


def test_a_mention_uses_id_str_the_full_extended_text_and_its_photo(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("x_tweet_mention.json"))
    message = Message.objects.get()
    assert message.external_id == "x:1982134455667788990"
    assert message.channel == "x_mention"
    assert message.text.startswith(
        "@AcmeSupport 2 weeks & still no refund for order 77102. Your chat bot just loops >:("
    )
    assert "each time I'm told to wait 48h" in message.text  # from extended_tweet.full_text, not the truncated text
    assert (message.customer_handle, message.customer_name) == ("raj_p", "Raj & Priya")
    assert message.attachments == [
        {"content_type": "image/*", "url": "https://pbs.twimg.com/media/G4abcDEWcAAx1yZ.jpg"}
    ]
    assert message.occurred_at == datetime(2025, 10, 25, 18, 12, 44, 123000, tzinfo=UTC)
    assert message.metadata["in_reply_to_user_id"] == "1234567890123456789"


def test_id_str_wins_over_a_numeric_id_that_lost_precision(client: Client, django_capture_on_commit_callbacks) -> None:
    data = json_payload("x_tweet_mention.json")
    data["tweet_create_events"][0]["id"] = 1.982134455667789e18  # what a JavaScript number makes of it
    accept(client, django_capture_on_commit_callbacks, compact(data))
    assert Message.objects.get().external_id == "x:1982134455667788990"


def test_a_tweet_without_timestamp_ms_is_timed_from_created_at(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    data = json_payload("x_tweet_mention.json")
    del data["tweet_create_events"][0]["timestamp_ms"]
    accept(client, django_capture_on_commit_callbacks, compact(data))
    assert Message.objects.get().occurred_at == datetime(2025, 10, 25, 18, 12, 44, tzinfo=UTC)


def test_our_own_dms_and_tweets_and_retweets_are_not_messages_but_a_customers_photo_dm_is(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("x_mixed_events.json"))
    event = RawEvent.objects.get()
    assert event.message_count == 1
    message = Message.objects.get()
    assert message.external_id == "x:1982136600000000004"
    assert message.text == "Here it is https://t.co/Qw12Er34"
    assert message.attachments[0]["url"].startswith("https://ton.twitter.com/1.1/ton/data/dm/")
    assert (message.customer_handle, message.customer_name) == ("raj_p", "Raj & Priya")


def test_events_we_do_not_handle_are_accepted_and_kept(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    body = compact(
        {
            "for_user_id": "1234567890123456789",
            "favorite_events": [
                {"id": "a7ba59eab0bfcba386f7acedac279542", "created_at": "Mon Mar 26 16:33:26 +0000 2018"}
            ],
        }
    )
    accept(client, django_capture_on_commit_callbacks, body)
    assert file_lake.read(RawEvent.objects.get().lake_key) == body
    assert Message.objects.count() == 0


# --- bad input ----------------------------------------------------------------------------


def test_a_missing_signature_is_403_and_counted(client: Client, file_lake) -> None:
    labels = {"source": "x", "reason": "signature"}
    before = metrics.sample("complaints_edge_rejected_total", labels)
    response = client.generic("POST", X_PATH, payload("x_dm.json"), content_type="application/json")
    assert response.status_code == 403
    assert RawEvent.objects.count() == 0 and list(file_lake.list("")) == []
    assert metrics.sample("complaints_edge_rejected_total", labels) == before + 1


def test_a_signature_made_with_another_secret_is_403(client: Client) -> None:
    assert post_x(client, payload("x_dm.json"), secret="another-consumer-secret").status_code == 403


def test_a_hex_instead_of_base64_signature_is_403(client: Client) -> None:
    import hashlib
    import hmac

    from ingestion.tests.webhook_helpers import X_SECRET

    body = payload("x_dm.json")
    hex_signature = "sha256=" + hmac.new(X_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert post_x(client, body, signature=hex_signature).status_code == 403


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", None),
        (b"[1, 2]", "the JSON body is not an object"),
        (compact({"direct_message_events": []}), "payload.for_user_id is missing"),
        (
            compact({"for_user_id": "1", "tweet_create_events": {"id_str": "2"}}),
            "payload.tweet_create_events must be a list",
        ),
        (
            compact({"for_user_id": "1", "tweet_create_events": [{"text": "hi", "user": {"id_str": "3"}}]}),
            "payload.tweet_create_events[0].id_str is missing",
        ),
        (
            compact(
                {
                    "for_user_id": "1",
                    "direct_message_events": [
                        {"type": "message_create", "id": "9", "message_create": {"message_data": {}}}
                    ],
                }
            ),
            "payload.direct_message_events[0].message_create.sender_id is missing",
        ),
    ],
)
def test_a_signed_payload_that_is_malformed_is_400_with_the_reason_and_quarantined(
    client: Client, file_lake, body: bytes, reason: str | None
) -> None:
    response = post_x(client, body)
    assert response.status_code == 400
    if reason:
        assert response.json() == {"error": reason}
    assert RawEvent.objects.count() == 0
    reasons = [k for k in file_lake.list("quarantine/social") if k.endswith(".reason.json")]
    assert len(reasons) == 1
    assert json.loads(file_lake.read(reasons[0]))["provider"] == "x"


def test_a_body_over_one_mebibyte_is_413(client: Client) -> None:
    response = client.generic(
        "POST", X_PATH, b"{}", content_type="application/json", CONTENT_LENGTH=str(1024 * 1024 + 1)
    )
    assert response.status_code == 413


def test_the_same_dm_event_twice_is_one_message(client: Client, django_capture_on_commit_callbacks) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("x_dm.json"))
    accept(client, django_capture_on_commit_callbacks, payload("x_dm.json"))
    assert RawEvent.objects.count() == 2 and Message.objects.count() == 1
