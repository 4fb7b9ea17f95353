"""A store the accept path needs is down: the provider gets a 503 to retry, never a 500."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from ingestion.models import RawEvent
from ingestion.tests.webhook_helpers import payload, post_twilio, provider_secrets  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]

SMS = payload("twilio_sms.txt")


def test_a_ledger_that_cannot_be_written_answers_503_with_retry_after_and_keeps_the_bytes(
    client: Client, file_lake
) -> None:
    # The database refusing the INSERT, as it does while PostgreSQL restarts.
    with mock.patch.object(RawEvent.objects, "create", side_effect=OperationalError("server closed the connection")):
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
