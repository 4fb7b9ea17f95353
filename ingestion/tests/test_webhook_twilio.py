"""POST /webhooks/twilio/sms/: Twilio's form-encoded SMS/MMS, signed with X-Twilio-Signature."""

from __future__ import annotations

import socket
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict
from django.test import Client
from twilio.request_validator import RequestValidator

import metrics
from ingestion.models import Message, RawEvent
from ingestion.tests.webhook_helpers import (
    TWILIO_PATH,
    TWILIO_TOKEN,
    TWILIO_URL,
    payload,
    post_twilio,
    provider_secrets,  # noqa: F401
    run_in_threads,
    twilio_form,
)
from warehouse.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]

SMS = payload("twilio_sms.txt")
MMS = payload("twilio_mms.txt")


def form_params(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()}


def rejected(reason: str) -> float:
    return metrics.sample("complaints_edge_rejected_total", {"source": "twilio", "reason": reason})


def test_an_inbound_sms_becomes_one_normalised_message_and_a_complaint(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(client, SMS)
    assert response.status_code == 200
    event = RawEvent.objects.get()
    assert (event.source, event.provider, event.status) == ("sms", "twilio", RawEvent.Status.PROCESSED)
    message = Message.objects.get()
    assert message.external_id == "twilio:SMa1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert (message.source, message.channel, message.provider) == ("sms", "sms", "twilio")
    assert message.customer_handle == message.contact_phone == "+447700900123"
    assert message.text.startswith("Hello, this is my 3rd complaint about the missed delivery (order 48213).")
    assert "marked it 'delivered' on 24/10" in message.text
    # Twilio sends no event time: the receipt time stands in for it.
    assert message.occurred_at == event.received_at == message.received_at
    assert message.metadata["to"] == "+447700900456"
    assert message.metadata["num_segments"] == "2"
    complaint = Complaint.objects.get()
    assert complaint.external_id == message.external_id and complaint.channel == "sms"


def test_the_idempotency_token_header_is_kept_with_the_event(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, SMS, HTTP_I_TWILIO_IDEMPOTENCY_TOKEN="d8a1f2c4-6b3e-4f0a-9c7d-2e5b8a1f4c90")
    assert RawEvent.objects.get().headers["I-Twilio-Idempotency-Token"] == "d8a1f2c4-6b3e-4f0a-9c7d-2e5b8a1f4c90"
    assert Message.objects.get().metadata["idempotency_token"] == "d8a1f2c4-6b3e-4f0a-9c7d-2e5b8a1f4c90"


def test_the_reply_is_empty_twiml_as_text_xml(client: Client) -> None:
    response = post_twilio(client, SMS)
    assert response["Content-Type"] == "text/xml"
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def test_mms_media_urls_and_types_are_kept_as_attachments_and_never_fetched(
    client: Client, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo
    looked_up: list[str] = []

    def loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        looked_up.append(str(host))
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise OSError(f"test forbids network access to {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(client, MMS)
    assert response.status_code == 200
    assert not any("twilio" in host for host in looked_up)
    message = Message.objects.get()
    assert message.external_id == "twilio:MM7f3a9c2e1b4d6f8a0c2e4b6d8f0a1c3e"
    assert message.text == "Photo of the damaged box & the broken blender inside. Order 55120."
    assert message.attachments == [
        {
            "content_type": "image/jpeg",
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC5e1c0f3b9a7d4e2f8c6b1a0d9e8f7a6b/Messages/"
            "MM7f3a9c2e1b4d6f8a0c2e4b6d8f0a1c3e/Media/ME1a2b3c4d5e6f708192a3b4c5d6e7f8091",
        },
        {
            "content_type": "video/mp4",
            "url": "https://api.twilio.com/2010-04-01/Accounts/AC5e1c0f3b9a7d4e2f8c6b1a0d9e8f7a6b/Messages/"
            "MM7f3a9c2e1b4d6f8a0c2e4b6d8f0a1c3e/Media/ME9f8e7d6c5b4a39281706f5e4d3c2b1a09",
        },
    ]
    assert Complaint.objects.get().attachments == message.attachments


def test_an_mms_with_a_picture_and_no_text_is_still_a_message(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    body = twilio_form(
        {
            "MessageSid": "MM00000000000000000000000000000001",
            "AccountSid": "AC5e1c0f3b9a7d4e2f8c6b1a0d9e8f7a6b",
            "From": "+447700900777",
            "To": "+447700900456",
            "Body": "",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            "MediaContentType0": "image/png",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, body).status_code == 200
    message = Message.objects.get()
    assert message.text == "" and message.attachments[0]["content_type"] == "image/png"


def test_a_twilio_whatsapp_message_keeps_its_channel_number_and_profile_name(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, payload("twilio_whatsapp.txt")).status_code == 200
    message = Message.objects.get()
    assert message.channel == "whatsapp" and message.source == "sms"
    assert message.customer_handle == message.contact_phone == "+233201234567"
    assert message.customer_name == "Ama Owusu"


def test_an_empty_sms_is_accepted_and_kept_but_makes_no_message(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    body = twilio_form({"MessageSid": "SM0000000000000000000000000000000e", "From": "+447700900123", "Body": "  "})
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, body).status_code == 200
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.PROCESSED and event.message_count == 0
    assert file_lake.read(event.lake_key) == body
    assert Message.objects.count() == 0


# --- which URL is signed ------------------------------------------------------------------


def test_the_signature_is_checked_against_public_base_url_plus_path(client: Client) -> None:
    # The request reaches us as http://testserver/...; Twilio signed the public https URL.
    assert post_twilio(client, SMS, url=TWILIO_URL).status_code == 200
    assert post_twilio(client, SMS, url=f"http://testserver{TWILIO_PATH}").status_code == 403


def test_the_query_string_is_part_of_the_signed_url(client: Client) -> None:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL + "?tenant=uk", form_params(SMS))
    response = client.generic(
        "POST",
        TWILIO_PATH + "?tenant=uk",
        SMS,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 200
    tampered = client.generic(
        "POST",
        TWILIO_PATH + "?tenant=fr",
        SMS,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert tampered.status_code == 403


def test_without_public_base_url_the_request_url_is_signed(client: Client, settings) -> None:
    settings.PUBLIC_BASE_URL = ""
    assert post_twilio(client, SMS, url=f"http://testserver{TWILIO_PATH}").status_code == 200
    assert post_twilio(client, SMS, url=TWILIO_URL).status_code == 403


def test_behind_a_tls_proxy_the_https_url_is_signed(client: Client, settings) -> None:
    settings.PUBLIC_BASE_URL = ""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    https = f"https://testserver{TWILIO_PATH}"
    assert post_twilio(client, SMS, url=https, HTTP_X_FORWARDED_PROTO="https").status_code == 200
    # Without the proxy's header the request is plain http, and the https signature does not match it.
    assert post_twilio(client, SMS, url=https).status_code == 403


def test_a_shared_key_hmac_sha256_signature_is_accepted(client: Client) -> None:
    params = form_params(SMS)
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL, params, algorithm="HMAC_SHA256")
    response = post_twilio(
        client,
        SMS,
        signature=signature,
        HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS="key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    )
    assert response.status_code == 200


# --- bad input ----------------------------------------------------------------------------


def test_a_missing_signature_is_403_nothing_stored_and_counted(client: Client, file_lake) -> None:
    before = rejected("signature")
    response = client.generic("POST", TWILIO_PATH, SMS, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.json()["error"]
    assert RawEvent.objects.count() == 0 and list(file_lake.list("")) == []
    assert rejected("signature") == before + 1


def test_a_signature_made_with_another_auth_token_is_403(client: Client) -> None:
    params = form_params(SMS)
    forged = RequestValidator("f" * 32).compute_signature(TWILIO_URL, params)
    assert post_twilio(client, SMS, signature=forged).status_code == 403
    assert RawEvent.objects.count() == 0


def test_a_signature_header_with_non_ascii_characters_is_403_not_an_error(client: Client) -> None:
    assert post_twilio(client, SMS, signature="vOz9RiMlIMXAtINswIyDN4vtMwQ=é").status_code == 403


def test_an_added_parameter_breaks_the_signature(client: Client) -> None:
    params = form_params(SMS)
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL, params)
    assert post_twilio(client, SMS + b"&Body=free+money", signature=signature).status_code == 403


def test_a_repeated_key_is_signed_with_every_value_as_twilio_signs_it(client: Client) -> None:
    # Twilio's validator signs each key's values sorted; a second value that is not signed is refused.
    body = SMS + b"&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fa&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fb"
    values = parse_qs(body.decode(), keep_blank_values=True)

    class MultiValues(dict):  # the multi-dict protocol the validator reads first
        def getall(self, key: str) -> list[str]:
            return self[key]

    signature = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL, MultiValues(values))
    assert post_twilio(client, body, signature=signature).status_code == 200
    only_first = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL, form_params(body))
    assert post_twilio(client, body, signature=only_first).status_code == 403


def test_a_signed_body_that_is_not_a_utf8_form_is_400_and_quarantined_not_left_to_the_worker(
    client: Client, file_lake
) -> None:
    # Latin-1 from a misconfigured relay: the worker could not read it, so the edge refuses it,
    # and the signature (over Twilio's lenient reading) says it is Twilio's: kept with the reason.
    body = SMS.replace(b"Body=", b"Body=caf\xe9+", 1)
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_URL, QueryDict(body, encoding="utf-8"))
    response = post_twilio(client, body, signature=signature)
    assert response.status_code == 400 and response.json()["error"] == "the form body is not UTF-8"
    assert RawEvent.objects.count() == 0
    kept = sorted(file_lake.list("quarantine/sms"))
    assert len(kept) == 2 and file_lake.read(kept[0]) == body


def test_an_unsigned_body_that_is_not_a_form_is_403_and_nothing_is_kept(client: Client, file_lake) -> None:
    response = post_twilio(client, b"\xff\xfe not a form", signature="vOz9RiMlIMXAtINswIyDN4vtMwQ=")
    assert response.status_code == 403
    assert list(file_lake.list("")) == []


def test_the_endpoint_is_404_while_the_auth_token_is_unset(client: Client, settings) -> None:
    settings.TWILIO_AUTH_TOKEN = ""
    assert post_twilio(client, SMS).status_code == 404
    assert RawEvent.objects.count() == 0


def test_a_signed_delivery_without_messagesid_is_400_and_quarantined(client: Client, file_lake) -> None:
    before = rejected("malformed")
    body = twilio_form({"From": "+447700900123", "Body": "where is my parcel"})
    response = post_twilio(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": "MessageSid is missing"}
    assert RawEvent.objects.count() == 0
    kept = sorted(file_lake.list("quarantine/sms"))
    assert len(kept) == 2 and kept[1].endswith(".reason.json")
    assert file_lake.read(kept[0]) == body
    assert b"MessageSid is missing" in file_lake.read(kept[1])
    assert rejected("malformed") == before + 1


def test_a_signed_delivery_without_from_is_400(client: Client) -> None:
    response = post_twilio(client, twilio_form({"MessageSid": "SM1", "Body": "hello"}))
    assert response.status_code == 400 and response.json()["error"] == "From is missing"


def test_a_signed_delivery_with_a_nonsense_media_count_is_400(client: Client) -> None:
    body = twilio_form({"MessageSid": "SM1", "From": "+447700900123", "Body": "x", "NumMedia": "lots"})
    response = post_twilio(client, body)
    assert response.status_code == 400 and "NumMedia" in response.json()["error"]


def test_a_body_over_one_mebibyte_is_413_before_it_is_read(client: Client) -> None:
    before = rejected("too_large")
    response = client.generic(
        "POST",
        TWILIO_PATH,
        b"x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(1024 * 1024 + 1),
    )
    assert response.status_code == 413
    assert RawEvent.objects.count() == 0
    assert rejected("too_large") == before + 1


def test_get_is_not_allowed(client: Client) -> None:
    assert client.get(TWILIO_PATH).status_code == 405


def test_csrf_checks_do_not_apply_to_the_signed_webhook() -> None:
    assert post_twilio(Client(enforce_csrf_checks=True), SMS).status_code == 200


def test_an_unwritable_lake_is_503_with_retry_after_and_nothing_recorded(client: Client, settings, tmp_path) -> None:
    from lake import reset_lake_cache

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    response = post_twilio(client, SMS)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert RawEvent.objects.count() == 0


# --- duplicates ---------------------------------------------------------------------------


def test_the_same_delivery_twice_is_two_raw_events_but_one_message_and_one_complaint(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, SMS).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert post_twilio(client, SMS).status_code == 200
    assert RawEvent.objects.count() == 2  # both deliveries are in the lake and the ledger
    assert Message.objects.count() == 1 and Complaint.objects.count() == 1


def test_a_redelivery_a_day_later_is_still_absorbed(client: Client, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, SMS)
    RawEvent.objects.update(received_at=RawEvent.objects.get().received_at - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        post_twilio(client, SMS)
    assert Message.objects.count() == 1 and Complaint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_from_eight_threads_at_once_is_exactly_one_message_and_complaint() -> None:
    def deliver() -> int:
        return post_twilio(Client(), SMS).status_code

    statuses = run_in_threads([deliver] * 8)
    assert statuses == [200] * 8
    assert RawEvent.objects.count() == 8
    assert set(RawEvent.objects.values_list("status", flat=True)) == {RawEvent.Status.PROCESSED}
    assert Message.objects.count() == 1
    assert Complaint.objects.count() == 1


# --- the rest of the path, on the other real back-ends -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_accepted_sms_reaches_the_warehouse_through_redis_and_a_real_worker(real_worker: None) -> None:
    from conftest import wait_for

    assert post_twilio(Client(), SMS).status_code == 200
    complaint = wait_for(
        lambda: Complaint.objects.filter(external_id="twilio:SMa1b2c3d4e5f60718293a4b5c6d7e8f90").first()
    )
    assert complaint.channel == "sms"
    # The worker marks the event processed just after the complaint commits.
    wait_for(lambda: RawEvent.objects.filter(status=RawEvent.Status.PROCESSED).exists())
