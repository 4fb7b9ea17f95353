"""The X adapter against Account Activity API variants: extended and quoted tweets, retweets,
our own activity, engagement events, DMs with media or quick-reply answers, and events that carry
no customer words. The adapter is pure, so these call `extract` directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingestion.adapters.base import InboundMessage, PayloadError
from ingestion.adapters.x import extract
from ingestion.tests.webhook_helpers import json_payload, messages_by_id

RECEIVED = datetime(2025, 10, 25, 20, 0, tzinfo=UTC)
US, RAJ = "1234567890123456789", "1712345678901234567"


def load(name: str) -> dict[str, Any]:
    return json_payload(name)


def by_id(messages: list[InboundMessage]) -> dict[str, InboundMessage]:
    return messages_by_id(messages, "x:")


# --- tweets -------------------------------------------------------------------------------


def test_a_mention_a_quote_and_a_video_tweet_are_messages_but_a_retweet_and_our_reply_are_not() -> None:
    found = by_id(extract(load("x_variant_tweets.json"), RECEIVED))
    assert set(found) == {"1982200000000000001", "1982200000000000003", "1982200000000000005"}
    assert all(m.channel == "x_mention" for m in found.values())


def test_a_truncated_tweet_uses_the_full_text_unescaped_with_its_emoji() -> None:
    message = by_id(extract(load("x_variant_tweets.json"), RECEIVED))["1982200000000000001"]
    assert message.text.startswith("@AcmeSupport Your router firmware update bricked my device & support said <24h>")
    assert message.text.endswith(
        "It's been 4 days 😡😡 I work from home and have lost two days of pay. Ticket #88123. Fix it or refund me."
    )
    assert (message.customer_handle, message.customer_name) == ("raj_p", "Raj & Priya")
    assert message.occurred_at == datetime(2025, 10, 25, 19, 0, 0, 123000, tzinfo=UTC)


def test_a_quote_tweet_keeps_the_quoters_words_and_names_the_quoted_tweet() -> None:
    message = by_id(extract(load("x_variant_tweets.json"), RECEIVED))["1982200000000000003"]
    assert message.text == "Same here!! Day 3 without internet https://t.co/QuOtE12345"
    assert (message.customer_handle, message.customer_name) == ("mia_fox", "Mia 🦊")
    assert message.metadata["quoted_status_id"] == "1982200000000000001"


def test_a_video_attachment_is_the_best_mp4_not_the_thumbnail() -> None:
    message = by_id(extract(load("x_variant_tweets.json"), RECEIVED))["1982200000000000005"]
    assert [(a.content_type, a.url.rsplit("/", 1)[1]) for a in message.attachments] == [("video/mp4", "high.mp4")]


def test_a_retweet_serialised_with_a_null_retweeted_status_is_still_an_ordinary_tweet() -> None:
    data = load("x_variant_tweets.json")
    data["tweet_create_events"] = [data["tweet_create_events"][0]]
    data["tweet_create_events"][0]["retweeted_status"] = None
    assert [m.external_id for m in extract(data, RECEIVED)] == ["x:1982200000000000001"]


def test_a_mention_from_someone_who_blocked_us_is_still_a_message_flagged_as_such() -> None:
    data = load("x_variant_tweets.json")
    data["user_has_blocked"] = True
    found = extract(data, RECEIVED)
    assert len(found) == 3 and all(m.metadata["user_has_blocked"] is True for m in found)
    data["user_has_blocked"] = "false"
    assert all("user_has_blocked" not in m.metadata for m in extract(data, RECEIVED))


# --- direct messages ----------------------------------------------------------------------


def test_a_photo_dm_and_a_quick_reply_answer_are_messages_and_our_own_dm_is_not() -> None:
    found = by_id(extract(load("x_variant_dms.json"), RECEIVED))
    assert set(found) == {"1982300000000000001", "1982300000000000002"}
    photo = found["1982300000000000001"]
    assert photo.attachments[0].content_type == "image/*" and photo.attachments[0].url.endswith("/InV.jpg")
    assert (photo.customer_handle, photo.customer_name, photo.channel) == ("raj_p", "Raj & Priya", "x_dm")
    answer = found["1982300000000000002"]
    assert answer.text == "No, it's not solved"
    assert answer.metadata["quick_reply"] == "not_resolved"
    assert answer.occurred_at == datetime.fromtimestamp(1761419160, tz=UTC)


# --- events with no customer words --------------------------------------------------------

ENGAGEMENT_EVENTS: dict[str, dict[str, Any]] = {
    "favorite": {
        "favorite_events": [
            {
                "id": "a7ba59eab0bfcba386f7acedac279542",
                "created_at": "Sat Oct 25 19:05:00 +0000 2025",
                "timestamp_ms": 1761419100000,
                "favorited_status": {"id_str": "1982200000000000004", "text": "@raj_p sorry", "user": {"id_str": US}},
                "user": {"id_str": RAJ, "screen_name": "raj_p"},
            }
        ]
    },
    "follow": {
        "follow_events": [
            {
                "type": "follow",
                "created_timestamp": "1761419100000",
                "target": {"id": US, "screen_name": "AcmeSupport"},
                "source": {"id": RAJ, "screen_name": "raj_p"},
            }
        ]
    },
    "block": {
        "block_events": [
            {
                "type": "block",
                "created_timestamp": "1761419100000",
                "source": {"id": RAJ, "screen_name": "raj_p"},
                "target": {"id": US, "screen_name": "AcmeSupport"},
            }
        ]
    },
    "mute": {
        "mute_events": [
            {"type": "mute", "created_timestamp": "1761419100000", "source": {"id": US}, "target": {"id": RAJ}}
        ]
    },
    "typing": {
        "direct_message_indicate_typing_events": [
            {"created_timestamp": "1761419100000", "sender_id": RAJ, "target": {"recipient_id": US}}
        ],
        "users": {RAJ: {"id": RAJ, "screen_name": "raj_p"}},
    },
    "mark_read": {
        "direct_message_mark_read_events": [
            {
                "created_timestamp": "1761419100000",
                "sender_id": RAJ,
                "target": {"recipient_id": US},
                "last_read_event_id": "1982300000000000003",
            }
        ]
    },
    "tweet_delete": {
        "tweet_delete_events": [
            {"status": {"id": "1982200000000000001", "user_id": RAJ}, "timestamp_ms": "1761419100000"}
        ]
    },
    "non_message_dm": {
        "direct_message_events": [{"type": "welcome_message_rule", "id": "9", "created_timestamp": "1761419100000"}]
    },
}


@pytest.mark.parametrize("name", sorted(ENGAGEMENT_EVENTS))
def test_engagement_typing_read_and_delete_events_yield_no_message_and_do_not_raise(name: str) -> None:
    assert extract({"for_user_id": US, **ENGAGEMENT_EVENTS[name]}, RECEIVED) == []


def test_an_app_revocation_user_event_without_for_user_id_is_accepted_not_a_400() -> None:
    revoke = {
        "user_event": {
            "revoke": {
                "date_time": "2025-10-25T19:00:00.000Z",
                "target": {"app_id": "13090192"},
                "source": {"user_id": US},
            }
        }
    }
    assert extract(revoke, RECEIVED) == []


# --- malformed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t.pop("user"), "payload.tweet_create_events[0].user is missing"),
        (
            lambda t: t.update(timestamp_ms="soon", created_at="x"),
            "payload.tweet_create_events[0].timestamp_ms: not an epoch timestamp: 'soon'",
        ),
        (
            lambda t: (t.pop("timestamp_ms"), t.update(created_at="2025-10-25")),
            "payload.tweet_create_events[0].created_at is not a v1.1 date: '2025-10-25'",
        ),
        (lambda t: t.update(extended_tweet="full"), "payload.tweet_create_events[0].extended_tweet must be an object"),
        (
            lambda t: t.update(extended_entities={"media": {"type": "photo"}}),
            "payload.tweet_create_events[0].extended_entities.media must be a list",
        ),
    ],
)
def test_a_malformed_tweet_is_a_payload_error_naming_the_field(mutate: Any, reason: str) -> None:
    data = load("x_variant_tweets.json")
    data["tweet_create_events"] = [data["tweet_create_events"][0]]
    mutate(data["tweet_create_events"][0])
    with pytest.raises(PayloadError) as caught:
        extract(data, RECEIVED)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.pop("message_create"), "payload.direct_message_events[0].message_create is missing"),
        (
            lambda e: e["message_create"]["message_data"].update(attachment=[1]),
            "payload.direct_message_events[0].message_create.message_data.attachment must be an object",
        ),
        (
            lambda e: e["message_create"]["message_data"]["attachment"]["media"].update(video_info="x"),
            "payload.direct_message_events[0].message_create.message_data.attachment.media.video_info"
            " must be an object",
        ),
    ],
)
def test_a_malformed_dm_is_a_payload_error_naming_the_field(mutate: Any, reason: str) -> None:
    data = load("x_variant_dms.json")
    data["direct_message_events"] = [data["direct_message_events"][0]]
    event = data["direct_message_events"][0]
    if "video_info" in reason:
        event["message_create"]["message_data"]["attachment"]["media"]["type"] = "video"
    mutate(event)
    with pytest.raises(PayloadError) as caught:
        extract(data, RECEIVED)
    assert str(caught.value) == reason
