"""The Meta adapter against the payload variants Meta documents for Messenger, Instagram, the Page
feed, Instagram comments and the WhatsApp Cloud API: what becomes a message, what stays in the
lake only, and what is malformed. The adapter is pure, so these call `extract` directly."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from ingestion.adapters.base import InboundMessage, PayloadError
from ingestion.adapters.meta import extract
from ingestion.tests.webhook_helpers import json_payload, messages_by_id

RECEIVED = datetime(2025, 10, 25, 20, 0, tzinfo=UTC)
PAGE, CUSTOMER, IG_ACCOUNT, IG_CUSTOMER = "104857362819044", "7284619350127733", "17841400000000001", "6178340012998877"


def load(name: str) -> dict[str, Any]:
    return json_payload(name)


def by_id(messages: list[InboundMessage]) -> dict[str, InboundMessage]:
    return messages_by_id(messages, "meta:")


def messenger_event(event: dict[str, Any], *, key: str = "messaging") -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE, "time": 1761420001000, key: [event]}]}


# --- Messenger ----------------------------------------------------------------------------


def test_only_the_customers_words_and_pictures_in_a_mixed_messenger_batch_become_messages() -> None:
    found = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))
    # postback, reaction, read, delivery, optin, message_edit, echo and referral: no message.
    assert set(found) == {
        "m_variant_image_only",
        "m_variant_quick_reply",
        "m_variant_standby",
        "m_variant_guest",
        "m_variant_reply",
        "m_variant_link",
    }
    assert all(m.channel == "facebook_dm" and m.source == "social" for m in found.values())


def test_an_image_without_text_is_a_message_carrying_the_image() -> None:
    message = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))["m_variant_image_only"]
    assert message.text == "" and message.customer_handle == CUSTOMER
    assert [a.content_type for a in message.attachments] == ["image/*"]
    assert message.attachments[0].url.endswith("variant_receipt.jpg?_nc_cat=1&oh=00_AfA&oe=6720")
    assert message.occurred_at == datetime(2025, 10, 25, 19, 20, 0, 123000, tzinfo=UTC)


def test_a_quick_reply_keeps_its_text_and_a_string_seconds_timestamp_is_read_as_utc() -> None:
    message = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))["m_variant_quick_reply"]
    assert message.text == "Billing problem"
    assert message.occurred_at == datetime.fromtimestamp(1761420010, tz=UTC)


def test_a_standby_message_timed_in_integer_seconds_counts() -> None:
    message = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))["m_variant_standby"]
    assert message.text == "Still waiting for my refund, order 55120."
    assert message.occurred_at == datetime.fromtimestamp(1761420060, tz=UTC)


def test_a_chat_plugin_guest_identified_by_user_ref_is_a_message_not_a_400() -> None:
    message = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))["m_variant_guest"]
    assert message.customer_handle == "guest-4b1d7a0e-chat-plugin"
    assert message.metadata["user_ref"] == "guest-4b1d7a0e-chat-plugin"


def test_a_reply_keeps_the_mid_it_answers_and_a_link_share_keeps_its_url() -> None:
    found = by_id(extract(load("meta_variant_messenger.json"), RECEIVED))
    assert found["m_variant_reply"].metadata["reply_to"] == "m_variant_quick_reply"
    assert [a.url for a in found["m_variant_link"].attachments] == ["https://example.com/order/55120"]


@pytest.mark.parametrize("key", ["messaging", "standby"])
def test_the_pages_echo_is_skipped_on_either_channel(key: str) -> None:
    echo = {
        "sender": {"id": PAGE},
        "recipient": {"id": CUSTOMER},
        "timestamp": 1761420080000,
        "message": {"mid": "m_echo", "is_echo": True, "app_id": 263902037430900, "text": "We are on it"},
    }
    assert extract(messenger_event(echo, key=key), RECEIVED) == []


def test_a_sticker_like_without_text_is_a_message_with_the_sticker_image() -> None:
    event = {
        "sender": {"id": CUSTOMER},
        "recipient": {"id": PAGE},
        "timestamp": 1761420000123,
        "message": {
            "mid": "m_sticker",
            "sticker_id": 369239263222822,
            "attachments": [
                {
                    "type": "image",
                    "payload": {"url": "https://scontent.xx.fbcdn.net/sticker.png", "sticker_id": 369239263222822},
                }
            ],
        },
    }
    (message,) = extract(messenger_event(event), RECEIVED)
    assert message.attachments[0].url == "https://scontent.xx.fbcdn.net/sticker.png"


def test_a_template_attachment_without_a_url_and_no_text_yields_nothing() -> None:
    event = {
        "sender": {"id": CUSTOMER},
        "recipient": {"id": PAGE},
        "timestamp": 1761420000123,
        "message": {"mid": "m_template", "attachments": [{"type": "template", "payload": None}]},
    }
    assert extract(messenger_event(event), RECEIVED) == []


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            {"sender": {}, "recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m_1", "text": "hi"}},
            "payload.entry[0].messaging[0].sender.id is missing",
        ),
        (
            {"sender": {"id": CUSTOMER}, "timestamp": 1, "message": "hi"},
            "payload.entry[0].messaging[0].message must be an object",
        ),
        (
            {"sender": {"id": CUSTOMER}, "timestamp": "soon", "message": {"mid": "m_1", "text": "hi"}},
            "payload.entry[0].messaging[0].timestamp: not an epoch timestamp: 'soon'",
        ),
        (
            {"sender": {"id": CUSTOMER}, "message": {"mid": "m_1", "attachments": {"type": "image"}}},
            "payload.entry[0].messaging[0].message.attachments must be a list",
        ),
    ],
)
def test_a_malformed_messenger_event_is_a_payload_error_naming_the_field(event: dict[str, Any], reason: str) -> None:
    with pytest.raises(PayloadError) as caught:
        extract(messenger_event(event), RECEIVED)
    assert str(caught.value) == reason


# --- Instagram messaging and comments -----------------------------------------------------


def test_instagram_story_mentions_replies_and_shares_are_messages_the_rest_is_not() -> None:
    found = by_id(extract(load("meta_variant_instagram.json"), RECEIVED))
    dms = {k: m for k, m in found.items() if m.channel == "instagram_dm"}
    # is_deleted, is_unsupported, the account's echo, reaction, read and postback: no message.
    assert len(dms) == 3
    mention = dms["aWdfZAG1faXRlbTp2YXJpYW50X3N0b3J5X21lbnRpb24"]
    assert mention.text == "" and mention.attachments[0].url.startswith("https://lookaside.fbsbx.com/")
    assert mention.customer_handle == IG_CUSTOMER
    assert mention.occurred_at == datetime(2025, 10, 25, 19, 36, 40, 456000, tzinfo=UTC)
    story_reply = dms["aWdfZAG1faXRlbTp2YXJpYW50X3N0b3J5X3JlcGx5"]
    assert story_reply.text.endswith("both got cancelled 😤")
    assert story_reply.metadata["reply_to_story"] == "17999000222"
    assert story_reply.metadata["reply_to_story_url"].startswith("https://lookaside.fbsbx.com/")
    assert dms["aWdfZAG1faXRlbTp2YXJpYW50X3NoYXJl"].attachments[0].url.endswith("signature=GhI")


def test_instagram_comments_and_live_comments_are_messages_but_the_accounts_reply_is_not() -> None:
    found = by_id(extract(load("meta_variant_instagram.json"), RECEIVED))
    comments = {k: m for k, m in found.items() if m.channel == "instagram_comment"}
    assert set(comments) == {"17919697626110001", "17919697626110002"}
    reel = comments["17919697626110001"]
    assert reel.customer_handle == "marco_bikes" and reel.metadata["media_product_type"] == "REELS"
    # Meta sends Instagram comment text unescaped: an "&amp;" a customer typed stays as typed.
    assert reel.text == "Brakes failed after 2 rides &amp; no reply from support 🚲"
    assert reel.occurred_at == datetime.fromtimestamp(1761421081, tz=UTC)
    assert comments["17919697626110002"].metadata["media_product_type"] == "LIVE"


# --- Page feed ----------------------------------------------------------------------------


def test_only_visitors_new_comments_and_posts_on_the_page_feed_become_messages() -> None:
    found = by_id(extract(load("meta_variant_feed.json"), RECEIVED))
    # edited and removed comments, the Page's own comment/status/post, reactions and likes: none.
    assert set(found) == {
        "998877665544001_1213590066980001",
        "104857362819044_998877665544004",
        "998877665544001_1213590066980006",
    }
    reply = found["998877665544001_1213590066980001"]
    assert reply.metadata["is_reply"] is True and reply.customer_name == "Priya Sharma"
    assert reply.occurred_at == datetime.fromtimestamp(1761422000, tz=UTC)


def test_a_visitors_multi_photo_post_keeps_every_photo_once() -> None:
    post = by_id(extract(load("meta_variant_feed.json"), RECEIVED))["104857362819044_998877665544004"]
    assert post.text == "Arrived like this. Two weeks, no answer."
    assert [a.url.rsplit("/", 1)[1] for a in post.attachments] == ["broken_kettle.jpg", "broken_kettle_box.jpg"]


def test_a_comment_that_is_only_a_photo_is_a_message_with_the_photo() -> None:
    comment = by_id(extract(load("meta_variant_feed.json"), RECEIVED))["998877665544001_1213590066980006"]
    assert comment.text == "" and comment.attachments[0].content_type == "image/*"


def test_a_feed_item_with_a_non_string_photos_entry_is_malformed() -> None:
    data = load("meta_variant_feed.json")
    data["entry"] = [data["entry"][8]]
    data["entry"][0]["changes"][0]["value"]["photos"] = [{"url": "x"}]
    with pytest.raises(PayloadError, match=r"payload.entry\[0\].changes\[0\].value.photos\[0\] must be a string"):
        extract(data, RECEIVED)


# --- WhatsApp -----------------------------------------------------------------------------


def whatsapp_messages() -> dict[str, InboundMessage]:
    found = extract(load("meta_variant_whatsapp.json"), RECEIVED)
    return {m.metadata["type"] + ":" + m.external_id[-8:-4]: m for m in found}


def test_every_kind_of_customer_whatsapp_message_is_one_message_and_reactions_statuses_echoes_are_not() -> None:
    found = extract(load("meta_variant_whatsapp.json"), RECEIVED)
    assert len({m.external_id for m in found}) == len(found)
    kinds = sorted(m.metadata["type"] for m in found)
    # contacts, reaction and unsupported are left out; statuses and smb_message_echoes too.
    assert kinds == [
        "audio",
        "button",
        "document",
        "image",
        "interactive",
        "interactive",
        "location",
        "sticker",
        "text",
        "text",
    ]
    assert all(m.channel == "whatsapp" and m.metadata["phone_number_id"] == "106540352242922" for m in found)


def test_whatsapp_fields_names_times_and_attachments_are_right_for_each_type() -> None:
    found = whatsapp_messages()
    text = found["text:0001"]
    assert (text.customer_handle, text.customer_name, text.contact_phone) == (
        "+233241234567",
        "Kwame Mensah",
        "+233241234567",
    )
    assert text.occurred_at == datetime.fromtimestamp(1761423000, tz=UTC)
    image = found["image:0002"]
    assert (image.text, image.customer_name) == ("Bill shows double charge", "Sipho Dlamini")
    assert image.attachments[0].content_type == "image/jpeg"
    assert found["audio:0003"].attachments[0].content_type == "audio/ogg; codecs=opus"
    assert found["document:0004"].attachments[0].filename == "statement-oct.pdf"
    assert found["location:0005"].metadata["location"] == {"latitude": 37.483307, "longitude": -122.148981}
    assert found["location:0005"].text.startswith("Main Branch 1 Hacker Way")
    assert found["interactive:0007"].text == "Speak to an agent"
    assert found["interactive:0008"].text == "Billing issue"
    assert found["button:0009"].text == "No, still broken"
    assert found["sticker:0011"].attachments[0].content_type == "image/webp"
    reply = found["text:0013"]
    assert reply.metadata["context_id"] == "wamid.HBgMMjMzMjQxMjM0NTY3FQIAEhgUM0VCMFZBUklBTlQw0093AA=="


def test_whatsapp_statuses_alone_yield_nothing_and_do_not_raise() -> None:
    data = load("meta_variant_whatsapp.json")
    data["entry"] = [data["entry"][1]]
    assert extract(data, RECEIVED) == []


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda m: m.pop("timestamp"), "payload.entry[0].changes[0].value.messages[0].timestamp is not a timestamp"),
        (lambda m: m.pop("type"), "payload.entry[0].changes[0].value.messages[0].type is missing"),
        (lambda m: m.pop("from"), "payload.entry[0].changes[0].value.messages[0].from is missing"),
        (lambda m: m.pop("text"), "payload.entry[0].changes[0].value.messages[0].text is missing"),
        (lambda m: m.update(timestamp="1761423000.x"), None),
    ],
)
def test_a_malformed_whatsapp_message_is_a_payload_error(mutate: Any, reason: str | None) -> None:
    data = load("meta_variant_whatsapp.json")
    data["entry"] = [copy.deepcopy(data["entry"][0])]
    value = data["entry"][0]["changes"][0]["value"]
    value["messages"] = value["messages"][:1]
    mutate(value["messages"][0])
    with pytest.raises(PayloadError) as caught:
        extract(data, RECEIVED)
    if reason:
        assert str(caught.value) == reason


@pytest.mark.parametrize("latitude", [True, "37.483307", None])
def test_a_whatsapp_location_without_numeric_coordinates_is_malformed_not_a_crash(latitude: object) -> None:
    data = load("meta_variant_whatsapp.json")
    data["entry"] = [data["entry"][0]]
    value = data["entry"][0]["changes"][0]["value"]
    value["messages"] = [value["messages"][4]]
    value["messages"][0]["location"]["latitude"] = latitude
    with pytest.raises(PayloadError, match="numeric latitude and longitude"):
        extract(data, RECEIVED)
