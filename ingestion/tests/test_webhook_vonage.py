"""POST (or GET) /webhooks/vonage/inbound-sms/: Vonage SMS API inbound messages, JSON, form or query
string, signed with `sig`, and concatenated SMS reassembled into one message whatever order (and however
often) the parts arrive."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.test import Client

import metrics
from ingestion.models import Message, RawEvent, SmsConcatGroup, SmsConcatPart
from ingestion.signatures import vonage_signature, vonage_signature_valid
from ingestion.tests.webhook_helpers import (
    VONAGE_PATH,
    json_payload,
    post_vonage_form,
    post_vonage_json,
    provider_secrets,  # noqa: F401
    run_in_threads,
    vonage_signed,
)
from warehouse.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]

INBOUND = json_payload("vonage_inbound.json")
PARTS = [json_payload(f"vonage_concat_part{n}.json") for n in (1, 2, 3)]
WHOLE_TEXT = "".join(p["text"] for p in PARTS)


def deliver(client: Client, params: dict[str, object]) -> int:
    return post_vonage_json(client, vonage_signed(params)).status_code


# --- the signature scheme -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("md5hash", "6af838ef94998832dbfc29020b564830"),
        ("md5", "c15c21ced558c93a226c305f58f902f2"),
        ("sha1", "3e19a4e6880fdc2c1426bfd0587c98b9532f0210"),
        ("sha256", "a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24"),
        (
            "sha512",
            "812a18f76680fa0fe1b8bd9ee1625466ceb1bd96242e4d050d2cfd9a7b40166c"
            "63ed26ec9702168781b6edcf1633db8ff95af9341701004eec3fcf9550572ee8",
        ),
    ],
)
def test_signatures_match_the_vectors_published_with_vonages_sdk(method: str, expected: str) -> None:
    params = {"a": "1", "b": "2", "timestamp": "1461605396"}
    assert vonage_signature(params=params, secret="secret", method=method) == expected
    # Vonage sends HMACs in upper case: the check ignores case.
    assert vonage_signature_valid(params={**params, "sig": expected.upper()}, secret="secret", method=method)


def test_ampersands_and_equals_signs_in_values_are_signed_as_underscores() -> None:
    signed = vonage_signature(params={"text": "a&b=c", "timestamp": "1"}, secret="s", method="md5hash")
    assert signed == vonage_signature(params={"text": "a_b_c", "timestamp": "1"}, secret="s", method="md5hash")


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_each_configured_method_accepts_its_own_signatures_and_refuses_the_others(
    client: Client, settings, method: str
) -> None:
    settings.VONAGE_SIGNATURE_METHOD = method
    other = "sha256" if method != "sha256" else "md5hash"
    assert post_vonage_json(client, vonage_signed(INBOUND, method=other)).status_code == 403
    assert post_vonage_json(client, vonage_signed(INBOUND, method=method, upper=method != "md5hash")).status_code == 200


# --- single messages ----------------------------------------------------------------------


def test_a_number_set_to_deliver_by_get_is_accepted_with_the_query_string_kept_in_the_lake(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    # The dashboard's "GET" webhook method: the same parameters and signature, in the query string.
    query = urlencode(vonage_signed(INBOUND))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"{VONAGE_PATH}?{query}")
    assert response.status_code == 200
    event = RawEvent.objects.get()
    assert event.lake_key.endswith(".form") and file_lake.read(event.lake_key) == query.encode()
    assert event.headers["Request-Method"] == "GET"
    message = Message.objects.get()
    assert message.text.startswith("Hi, I was charged £12.50 twice")
    assert message.external_id == f"vonage:{INBOUND['messageId']}"


def test_an_unsigned_get_is_403_and_nothing_is_kept(client: Client, file_lake) -> None:
    unsigned = {k: v for k, v in INBOUND.items() if k != "sig"}
    assert client.get(f"{VONAGE_PATH}?{urlencode(unsigned)}").status_code == 403
    assert client.get(VONAGE_PATH).status_code == 403  # a bare probe of the URL
    assert not RawEvent.objects.exists() and list(file_lake.list("")) == []


def test_a_json_inbound_sms_becomes_one_message_with_vonages_time(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, INBOUND) == 200
    event = RawEvent.objects.get()
    assert (event.source, event.provider, event.lake_key.endswith(".json")) == ("sms", "vonage", True)
    message = Message.objects.get()
    assert message.external_id == "vonage:0A0000000123ABCD1"
    assert (message.source, message.channel) == ("sms", "sms")
    assert message.customer_handle == message.contact_phone == "+447700900001"
    assert message.text == "Hi, I was charged £12.50 twice for my April bill. Please refund one of them."
    assert message.occurred_at == datetime(2025, 10, 25, 14, 2, 11, tzinfo=UTC)
    assert message.metadata["to"] == "+447700900000" and message.metadata["keyword"] == "HI"
    assert Complaint.objects.get().external_id == "vonage:0A0000000123ABCD1"


def test_a_form_encoded_inbound_sms_with_an_hmac_sha256_signature_is_accepted(
    client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.VONAGE_SIGNATURE_METHOD = "sha256"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_vonage_form(client, vonage_signed(INBOUND, method="sha256", upper=True))
    assert response.status_code == 200
    assert RawEvent.objects.get().lake_key.endswith(".form")
    assert Message.objects.get().text.startswith("Hi, I was charged £12.50 twice")


def test_a_binary_sms_is_kept_but_makes_no_message(client: Client, django_capture_on_commit_callbacks) -> None:
    binary = {k: v for k, v in INBOUND.items() if k not in ("text", "keyword")}
    binary.update(type="binary", data="0605040B8423F0", udh="06050415811581")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, binary) == 200
    assert RawEvent.objects.get().status == RawEvent.Status.PROCESSED
    assert Message.objects.count() == 0


# --- bad input ----------------------------------------------------------------------------


def test_a_missing_sig_is_403_and_counted(client: Client, file_lake) -> None:
    before = metrics.sample("complaints_edge_rejected_total", {"source": "vonage", "reason": "signature"})
    assert post_vonage_json(client, INBOUND).status_code == 403
    assert RawEvent.objects.count() == 0 and list(file_lake.list("")) == []
    assert metrics.sample("complaints_edge_rejected_total", {"source": "vonage", "reason": "signature"}) == before + 1


def test_a_changed_text_under_a_valid_sig_is_403(client: Client) -> None:
    signed = vonage_signed(INBOUND)
    signed["text"] = "Please send me a free phone"
    assert post_vonage_json(client, signed).status_code == 403


def test_a_sig_made_with_another_secret_is_403(client: Client) -> None:
    assert post_vonage_json(client, vonage_signed(INBOUND, secret="not-our-secret")).status_code == 403


def test_an_unreadable_body_cannot_be_authenticated_and_is_403(client: Client) -> None:
    response = client.generic("POST", VONAGE_PATH, b"{not json", content_type="application/json")
    assert response.status_code == 403


def test_the_endpoint_is_404_while_the_signature_secret_is_unset(client: Client, settings) -> None:
    settings.VONAGE_SIGNATURE_SECRET = ""
    assert deliver(client, INBOUND) == 404


@pytest.mark.parametrize("field", ["messageId", "msisdn", "to", "text"])
def test_a_signed_sms_missing_a_required_field_is_400_with_its_name_and_quarantined(
    client: Client, file_lake, field: str
) -> None:
    params = {k: v for k, v in INBOUND.items() if k != field}
    response = post_vonage_json(client, vonage_signed(params))
    assert response.status_code == 400
    assert response.json() == {"error": f"{field} is missing"}
    assert RawEvent.objects.count() == 0
    assert len([k for k in file_lake.list("quarantine/sms") if k.endswith(".reason.json")]) == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"concat-part": "4"}, "concat-part 4 is outside 1..3"),
        ({"concat-part": "0"}, "concat-part 0 is outside 1..3"),
        ({"concat-total": "three"}, "concat-total must be a whole number, not 'three'"),
        ({"concat-total": "1"}, "concat-total must be from 2 to 255, not 1"),
        ({"concat-ref": ""}, "concat-ref is missing"),
    ],
)
def test_inconsistent_concatenation_fields_are_400(client: Client, changes: dict[str, str], reason: str) -> None:
    response = post_vonage_json(client, vonage_signed({**PARTS[0], **changes}))
    assert response.status_code == 400 and response.json() == {"error": reason}


def test_a_body_over_one_mebibyte_is_413(client: Client) -> None:
    response = client.generic(
        "POST", VONAGE_PATH, b"{}", content_type="application/json", CONTENT_LENGTH=str(1024 * 1024 + 1)
    )
    assert response.status_code == 413


# --- concatenated SMS ---------------------------------------------------------------------


@pytest.mark.parametrize("order", list(itertools.permutations([0, 1, 2])))
def test_the_parts_of_a_long_sms_in_any_order_become_one_message(
    client: Client, django_capture_on_commit_callbacks, order: tuple[int, int, int]
) -> None:
    for step, index in enumerate(order, start=1):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(client, PARTS[index]) == 200  # every part is accepted, lake first
        assert Message.objects.count() == (1 if step == 3 else 0)
    assert RawEvent.objects.count() == 3
    message = Message.objects.get()
    assert message.text == WHOLE_TEXT  # joined without separators: part 1 ends mid-word ("hou" + "rs.")
    assert "24 hours. I work from home" in message.text
    assert message.external_id == "vonage:0B00000001E7F3A01"  # part 1's id, whichever part came last
    assert message.occurred_at == datetime(2025, 10, 25, 15, 30, 1, tzinfo=UTC)  # the earliest part
    assert [p["number"] for p in message.metadata["concat"]["parts"]] == [1, 2, 3]
    assert Complaint.objects.count() == 1


def test_repeated_parts_before_and_after_completion_change_nothing(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for params in (PARTS[1], PARTS[1], PARTS[0], PARTS[2], PARTS[2], PARTS[0]):
            assert deliver(client, params) == 200
    assert RawEvent.objects.count() == 6
    assert SmsConcatPart.objects.count() == 3 and SmsConcatGroup.objects.count() == 1
    assert Message.objects.count() == 1 and Complaint.objects.count() == 1
    assert Message.objects.get().text == WHOLE_TEXT


def test_a_reused_concat_ref_after_completion_starts_a_new_message(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    later = [
        {**p, "messageId": p["messageId"].replace("0B", "0C"), "text": t}
        for p, t in zip(PARTS, ["Second long message, pa", "rt two of it, and ", "the end."], strict=True)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for params in [*PARTS, *later]:
            deliver(client, params)
    texts = sorted(Message.objects.values_list("text", flat=True))
    assert texts == sorted([WHOLE_TEXT, "Second long message, part two of it, and the end."])
    assert SmsConcatGroup.objects.count() == 2


def test_parts_with_the_same_ref_from_another_sender_are_another_message(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    other = [{**p, "msisdn": "447700900999", "messageId": p["messageId"] + "X"} for p in PARTS]
    with django_capture_on_commit_callbacks(execute=True):
        for a, b in zip(PARTS, other, strict=True):
            deliver(client, a)
            deliver(client, b)
    handles = sorted(Message.objects.values_list("customer_handle", flat=True))
    assert handles == ["+447700900001", "+447700900999"]


def test_an_incomplete_message_waits_with_its_parts_recorded(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, PARTS[2])
        deliver(client, PARTS[0])
    assert Message.objects.count() == 0
    assert sorted(SmsConcatPart.objects.values_list("number", flat=True)) == [1, 3]
    assert set(RawEvent.objects.values_list("status", flat=True)) == {RawEvent.Status.PROCESSED}


@pytest.mark.django_db(transaction=True)
def test_parts_and_their_duplicates_from_many_threads_at_once_are_exactly_one_message() -> None:
    calls = [lambda p=p: deliver(Client(), p) for p in [*PARTS, *PARTS, PARTS[2], PARTS[0]]]
    assert run_in_threads(calls) == [200] * 8
    assert RawEvent.objects.count() == 8
    assert set(RawEvent.objects.values_list("status", flat=True)) == {RawEvent.Status.PROCESSED}
    assert SmsConcatPart.objects.count() == 3
    message = Message.objects.get()
    assert message.text == WHOLE_TEXT
    assert Complaint.objects.count() == 1
