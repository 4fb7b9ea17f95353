"""GET|POST /webhooks/meta/: Messenger, Instagram DMs, Page feed comments, Instagram comments and the
WhatsApp Cloud API on one endpoint, signed with X-Hub-Signature-256 over the raw body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

import metrics
from ingestion.models import Message, RawEvent
from ingestion.tests.webhook_helpers import (
    META_PATH,
    compact,
    json_payload,
    payload,
    post_meta,
    provider_secrets,  # noqa: F401
)
from warehouse.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]


def accept(client: Client, capture, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = post_meta(client, body)
    assert response.status_code == 200, response.content
    assert RawEvent.objects.filter(status=RawEvent.Status.PROCESSED).exists()


# --- the handshake ------------------------------------------------------------------------


def test_the_verification_handshake_echoes_the_challenge_as_plain_text(client: Client) -> None:
    response = client.get(
        META_PATH, {"hub.mode": "subscribe", "hub.verify_token": "complaints-verify-7f3a", "hub.challenge": "987654"}
    )
    assert response.status_code == 200
    assert response.content == b"987654" and response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "complaints-verify-7f3a", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "complaints-verify-7f3a"},
    ],
)
def test_a_handshake_with_a_wrong_token_mode_or_no_challenge_is_403(client: Client, query: dict[str, str]) -> None:
    assert client.get(META_PATH, query).status_code == 403


def test_the_handshake_is_404_while_the_verify_token_is_unset(client: Client, settings) -> None:
    settings.META_VERIFY_TOKEN = ""
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert client.get(META_PATH, query).status_code == 404


def test_the_whole_endpoint_is_404_while_the_app_secret_is_unset(client: Client, settings) -> None:
    settings.META_APP_SECRET = ""
    assert post_meta(client, payload("meta_messenger.json"), secret="x").status_code == 404
    query = {"hub.mode": "subscribe", "hub.verify_token": "complaints-verify-7f3a", "hub.challenge": "1"}
    assert client.get(META_PATH, query).status_code == 404


# --- Messenger ----------------------------------------------------------------------------


def test_messenger_entries_batched_in_one_post_become_messages_but_the_pages_echo_does_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("meta_messenger.json"))
    assert RawEvent.objects.get().message_count == 2
    first, second = Message.objects.order_by("occurred_at")
    assert first.external_id.startswith("meta:m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM")
    assert (first.source, first.channel, first.customer_handle) == ("social", "facebook_dm", "7284619350127733")
    assert first.text == "Bonjour, the café voucher (€15) you sent me doesn't work at any branch. 2nd time I'm writing!"
    # messaging[].timestamp is in milliseconds
    assert first.occurred_at == datetime(2025, 10, 25, 15, 1, 2, 345000, tzinfo=UTC)
    assert second.text == "" and second.attachments[0]["content_type"] == "image/*"
    assert second.attachments[0]["url"].startswith("https://scontent.xx.fbcdn.net/v/t1.15752-9/")
    assert not Message.objects.filter(external_id__endswith="_echo01").exists()
    # Both went through the classifier; the written complaint reached the warehouse.
    assert Message.objects.filter(status=Message.Status.NEW).count() == 0
    assert Complaint.objects.filter(external_id=first.external_id).exists()


def test_standby_messages_count_but_delivery_receipts_and_postbacks_do_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("messenger_standby_and_receipts.json"))
    message = Message.objects.get()
    assert message.text == "Hello?? Is anyone reading these?" and message.channel == "facebook_dm"


def test_a_message_sent_by_the_page_itself_without_the_echo_flag_is_still_skipped(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    data = json_payload("meta_messenger.json")
    del data["entry"][2]["messaging"][0]["message"]["is_echo"]  # sender.id == the Page's id
    accept(client, django_capture_on_commit_callbacks, compact(data))
    assert Message.objects.count() == 2


# --- Page feed ----------------------------------------------------------------------------


def test_a_customers_page_comment_is_a_message_and_the_pages_own_reply_is_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("meta_feed_comment.json"))
    message = Message.objects.get()
    assert message.external_id == "meta:122131676912594941_1213590066982748"
    assert (message.channel, message.customer_handle, message.customer_name) == (
        "facebook_comment",
        "8923451002837465",
        "Priya Sharma",
    )
    assert message.text == "Your new app update deleted all my saved addresses. Third time this month!!"
    assert message.occurred_at == datetime.fromtimestamp(1761408131, tz=UTC)  # created_time in seconds
    assert message.metadata["is_reply"] is False  # parent_id == post_id: a top-level comment
    assert message.metadata["permalink_url"].startswith("https://www.facebook.com/104857362819044/posts/")


def test_edited_and_removed_comments_are_not_new_messages(client: Client, django_capture_on_commit_callbacks) -> None:
    data = json_payload("meta_feed_comment.json")
    data["entry"] = data["entry"][:1]
    data["entry"][0]["changes"][0]["value"]["verb"] = "edited"
    removed = json.loads(json.dumps(data["entry"][0]))
    removed["changes"][0]["value"]["verb"] = "remove"
    data["entry"].append(removed)
    accept(client, django_capture_on_commit_callbacks, compact(data))
    assert Message.objects.count() == 0


def test_a_visitor_post_on_the_page_is_a_message(client: Client, django_capture_on_commit_callbacks) -> None:
    post = {
        "object": "page",
        "entry": [
            {
                "id": "104857362819044",
                "time": 1761420000,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "from": {"id": "5566778899001122", "name": "Tom Baker"},
                            "item": "status",
                            "post_id": "104857362819044_998877665544332",
                            "verb": "add",
                            "published": 1,
                            "created_time": 1761419990,
                            "message": "Three hours on hold and then cut off. Terrible service.",
                        },
                    }
                ],
            }
        ],
    }
    accept(client, django_capture_on_commit_callbacks, compact(post))
    message = Message.objects.get()
    assert message.external_id == "meta:104857362819044_998877665544332"
    assert message.metadata["item"] == "status"


# --- Instagram ----------------------------------------------------------------------------


def test_an_instagram_dm_is_a_message_its_echo_and_read_receipt_are_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("instagram_dm.json"))
    message = Message.objects.get()
    assert (message.source, message.channel, message.customer_handle) == ("social", "instagram_dm", "6178340012998877")
    assert message.text == "Your courier left my parcel in the rain 😡 everything is soaked"
    assert message.attachments[0]["url"].startswith("https://lookaside.fbsbx.com/ig_messaging_cdn/")
    assert message.occurred_at == datetime(2025, 10, 25, 16, 33, 19, 876000, tzinfo=UTC)


def test_an_instagram_comment_is_a_message_and_the_accounts_own_reply_is_not(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("instagram_comment.json"))
    message = Message.objects.get()
    assert message.external_id == "meta:17919697626119712"
    assert (message.channel, message.customer_handle) == ("instagram_comment", "lena.k_travels")
    assert message.text == 'Ordered 3 weeks ago, still "processing". Useless.'
    assert message.metadata["media_id"] == "18172143295349192"
    assert message.occurred_at == datetime.fromtimestamp(1761411000, tz=UTC)  # entry.time, in seconds


# --- WhatsApp -----------------------------------------------------------------------------


def test_a_whatsapp_text_uses_the_string_seconds_timestamp_and_the_contacts_name(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("whatsapp.json"))
    message = Message.objects.get()
    assert message.external_id.startswith(
        "meta:wamid.HBgMMjMzMjQxMjM0NTY3FQIAEhggQjdDMUQzRjVBN0I5QzFEM0Y1QTdCOUMxRDNGNUE3QgA"
    )
    assert (message.channel, message.customer_handle, message.contact_phone) == (
        "whatsapp",
        "+233241234567",
        "+233241234567",
    )
    assert message.customer_name == "Kwame Mensah"
    assert message.text == "My SIM was blocked after I paid the bill. Ref TXN-7781. Please fix 🙏"
    assert message.occurred_at == datetime.fromtimestamp(1761412507, tz=UTC)
    assert message.metadata["phone_number_id"] == "106540352242922"


def test_whatsapp_delivery_statuses_are_kept_in_the_lake_but_are_never_messages(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    body = payload("whatsapp_statuses.json")
    accept(client, django_capture_on_commit_callbacks, body)
    event = RawEvent.objects.get()
    assert event.message_count == 0 and file_lake.read(event.lake_key) == body
    assert Message.objects.count() == 0


def test_whatsapp_media_become_attachments_reactions_are_skipped_and_username_users_keep_their_id(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    accept(client, django_capture_on_commit_callbacks, payload("whatsapp_media.json"))
    messages = {m.metadata["type"]: m for m in Message.objects.all()}
    assert set(messages) == {"image", "document", "text"}  # the reaction is not a message
    image = messages["image"]
    assert image.text == "The screen arrived cracked"
    assert image.attachments == [{"content_type": "image/jpeg", "url": "https://graph.facebook.com/1203948576012345"}]
    assert image.customer_name == "Sipho Dlamini"
    assert messages["document"].attachments[0]["filename"] == "invoice-55120.pdf"
    # A user who shares a username, not a phone number: the business-scoped user id is the handle.
    text = messages["text"]
    assert (text.customer_handle, text.contact_phone, text.customer_name) == ("US.9988776655443322", "", "quietfox")


# --- bad input ----------------------------------------------------------------------------


def test_a_missing_signature_is_403_nothing_kept_and_counted(client: Client, file_lake) -> None:
    labels = {"source": "meta", "reason": "signature"}
    before = metrics.sample("complaints_edge_rejected_total", labels)
    response = client.generic("POST", META_PATH, payload("whatsapp.json"), content_type="application/json")
    assert response.status_code == 403
    assert RawEvent.objects.count() == 0 and list(file_lake.list("")) == []
    assert metrics.sample("complaints_edge_rejected_total", labels) == before + 1


def test_only_the_legacy_sha1_signature_is_not_enough(client: Client) -> None:
    spec = json.loads(payload("SIGNATURES.json"))["whatsapp.json"]
    response = client.generic(
        "POST",
        META_PATH,
        payload("whatsapp.json"),
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE=spec["headers"]["X-Hub-Signature"],
    )
    assert response.status_code == 403


def test_a_signature_made_with_another_app_secret_is_403(client: Client) -> None:
    assert post_meta(client, payload("whatsapp.json"), secret="another-app-secret").status_code == 403


def test_a_signed_body_that_is_not_json_is_400_and_quarantined(client: Client, file_lake) -> None:
    body = b'{"object":"page","entry":[{'
    response = post_meta(client, body)
    assert response.status_code == 400 and response.json()["error"].startswith("the body is not valid JSON")
    kept = sorted(file_lake.list("quarantine/social"))
    assert file_lake.read(kept[0]) == body and kept[1].endswith(".reason.json")
    assert RawEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"entry": []}, "object is missing"),
        ({"object": "page", "entry": {"id": "1"}}, "entry must be a list"),
        ({"object": "page", "entry": ["x"]}, "payload.entry[0] must be an object"),
        (
            {
                "object": "page",
                "entry": [{"id": "1", "time": 1, "messaging": [{"sender": {"id": "2"}, "message": {}}]}],
            },
            "payload.entry[0].messaging[0].message.mid is missing",
        ),
        (
            {"object": "page", "entry": [{"id": "1", "time": "yesterday", "messaging": []}]},
            "payload.entry[0].time: not an epoch timestamp: 'yesterday'",
        ),
        (
            {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages"}]}]},
            "payload.entry[0].changes[0].value is missing",
        ),
    ],
)
def test_a_signed_payload_with_missing_or_mistyped_fields_is_400_with_the_path(
    client: Client, body: dict[str, object], reason: str
) -> None:
    response = post_meta(client, compact(body))
    assert response.status_code == 400
    assert response.json() == {"error": reason}
    assert RawEvent.objects.count() == 0


def test_a_body_over_one_mebibyte_is_413(client: Client) -> None:
    response = client.generic(
        "POST", META_PATH, b"{}", content_type="application/json", CONTENT_LENGTH=str(1024 * 1024 + 1)
    )
    assert response.status_code == 413


def test_the_same_messenger_post_twice_is_two_raw_events_and_still_two_messages(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    for _ in range(2):
        accept(client, django_capture_on_commit_callbacks, payload("meta_messenger.json"))
    assert RawEvent.objects.count() == 2
    assert Message.objects.count() == 2
    # No complaint twice: exactly one per message the classifier called a complaint.
    assert Complaint.objects.count() == Message.objects.filter(status=Message.Status.COMPLAINT).count() >= 1


@pytest.mark.s3
def test_with_the_lake_on_s3_the_delivery_is_stored_there_byte_for_byte(
    client: Client, s3_lake, django_capture_on_commit_callbacks
) -> None:
    # (JSON here: moto's server, unlike S3 and MinIO, swallows a PUT body sent as form-encoded.)
    body = payload("whatsapp.json")
    accept(client, django_capture_on_commit_callbacks, body)
    assert s3_lake.read(RawEvent.objects.get().lake_key) == body
    assert Message.objects.get().channel == "whatsapp"
