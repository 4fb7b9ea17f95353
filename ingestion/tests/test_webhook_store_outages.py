"""A store the accept path needs is down: the provider gets a 503 to retry, never a 500."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from ingestion.models import RawEvent
from ingestion.tests.webhook_helpers import payload, post_twilio, provider_secrets, twilio_form  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]

SMS = payload("twilio_sms.txt")


def test_a_ledger_that_cannot_be_written_answers_503_with_retry_after_and_keeps_the_bytes(
    client: Client, file_lake
) -> None:
    # The database refusing the INSERT, as it does while PostgreSQL restarts.
    with mock.patch("ingestion.services.ledger_insert", side_effect=OperationalError("server closed the connection")):
        response = post_twilio(client, SMS)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database temporarily unavailable" in response.json()["error"]
    # Lake first: the delivery's bytes are already kept, for replay_lake if the provider gives up.
    kept = list(file_lake.list("raw/sms"))
    assert len(kept) == 1 and file_lake.read(kept[0]) == SMS


def test_an_unwritable_lake_answers_503_and_records_nothing(client: Client, settings, tmp_path) -> None:
    from lake import reset_lake_cache

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    response = post_twilio(client, SMS)
    assert response.status_code == 503
    assert not RawEvent.objects.exists()


def test_a_malformed_delivery_the_lake_cannot_keep_answers_503_and_its_retry_is_quarantined(
    client: Client, settings, tmp_path
) -> None:
    import metrics
    from lake import get_lake, reset_lake_cache

    def rejected(reason: str) -> float:
        return metrics.sample("complaints_edge_rejected_total", {"source": "twilio", "reason": reason})

    body = twilio_form({"From": "+447700900123", "Body": "where is my parcel"})  # signed, no MessageSid
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    before_unavailable, before_malformed = rejected("lake_unavailable"), rejected("malformed")

    response = post_twilio(client, body)

    # A 400 would end the provider's retries with the bytes kept nowhere: ask for the retry instead.
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert rejected("lake_unavailable") == before_unavailable + 1
    assert rejected("malformed") == before_malformed

    settings.LAKE_URL = (tmp_path / "lake").as_uri()  # the lake is back; the provider retries
    reset_lake_cache()
    try:
        retry = post_twilio(client, body)
        assert retry.status_code == 400 and retry.json() == {"error": "MessageSid is missing"}
        kept = sorted(get_lake().list("quarantine/sms"))
        assert len(kept) == 2 and get_lake().read(kept[0]) == body
        assert rejected("malformed") == before_malformed + 1
        assert not RawEvent.objects.exists()
    finally:
        reset_lake_cache()


def test_the_ledger_row_written_by_the_plain_insert_reads_back_as_the_model_would_write_it(file_lake) -> None:
    from ingestion.services import raw_event_receive

    event = raw_event_receive(
        source="sms",
        provider="twilio",
        body=SMS,
        ext="form",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "abc"},
        meta={"reference": "R-1"},
    )
    stored = RawEvent.objects.get(id=event.id)
    assert (stored.source, stored.provider, stored.lake_key, stored.size) == ("sms", "twilio", event.lake_key, len(SMS))
    assert stored.headers == {"X-Twilio-Signature": "abc"} and stored.meta == {"reference": "R-1"}
    assert stored.received_at == stored.enqueued_at == event.received_at
    # The columns the edge does not give take the model's defaults.
    assert (stored.status, stored.attempts, stored.message_count, stored.error, stored.processed_at) == (
        RawEvent.Status.RECEIVED,
        0,
        0,
        "",
        None,
    )
    assert file_lake.read(stored.lake_key) == SMS
