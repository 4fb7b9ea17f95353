"""A long SMS whose parts never all arrive is stored with what came, and the admin is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ingestion.models import Message, SmsConcatGroup
from ingestion.sms_concat import MISSING_PART_MARK
from ingestion.sms_concat_flush import flush_incomplete_sms, sms_concat_flush_stale
from ingestion.tests.test_webhook_vonage import PARTS, deliver
from ingestion.tests.webhook_helpers import provider_secrets  # noqa: F401
from warehouse.models import Complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider_secrets")]


@pytest.fixture(autouse=True)
def _admins(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.ALERT_GATHER_SECONDS = 0
    settings.SMS_CONCAT_FLUSH_AFTER_SECONDS = 3600


def deliver_parts(client: Client, capture, indexes: list[int]) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        for index in indexes:
            assert deliver(client, PARTS[index]) == 200


def test_a_group_missing_its_middle_part_becomes_a_message_after_the_wait(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    deliver_parts(client, django_capture_on_commit_callbacks, [2, 0])  # part 2 of 3 never comes
    assert Message.objects.count() == 0

    assert sms_concat_flush_stale(now=timezone.now() + timedelta(minutes=59)) == 0  # not yet
    assert Message.objects.count() == 0

    assert sms_concat_flush_stale(now=timezone.now() + timedelta(minutes=61)) == 1
    message = Message.objects.get()
    assert message.text.startswith(PARTS[0]["text"].strip()[:20])
    assert "[...]" in message.text and message.text.endswith(PARTS[2]["text"].strip())
    assert message.external_id == f"vonage:{PARTS[0]['messageId']}"
    assert message.customer_handle == "+447700900001"
    assert message.metadata["concat"]["missing"] == [2]
    assert [p["number"] for p in message.metadata["concat"]["parts"]] == [1, 3]
    assert SmsConcatGroup.objects.get().completed_at is not None
    # It went down the normal path: classified, and (being a complaint) in the warehouse.
    assert message.status in (Message.Status.COMPLAINT, Message.Status.FILTERED)
    assert Complaint.objects.filter(message_id=message.id).exists() == (message.status == Message.Status.COMPLAINT)
    # The admin is told, once.
    assert len(mail.outbox) == 1
    assert "parts missing" in mail.outbox[0].subject and "part(s) 2" in mail.outbox[0].body


def test_flushing_again_and_a_late_part_lose_nothing_and_store_nothing_twice(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    deliver_parts(client, django_capture_on_commit_callbacks, [0])
    later = timezone.now() + timedelta(hours=2)
    assert sms_concat_flush_stale(now=later) == 1
    assert sms_concat_flush_stale(now=later) == 0  # closed once
    assert Message.objects.count() == 1
    assert Message.objects.get().text.endswith(MISSING_PART_MARK.strip())

    # Parts 2 and 3 turn up after the flush: they start a group of their own, which waits, then
    # is flushed in its turn under its own key.
    deliver_parts(client, django_capture_on_commit_callbacks, [1, 2])
    assert SmsConcatGroup.objects.count() == 2
    assert sms_concat_flush_stale(now=timezone.now() + timedelta(hours=2)) == 1
    texts = list(Message.objects.order_by("external_id").values_list("external_id", "text"))
    assert len(texts) == 2
    assert texts[1][0] == f"vonage:{PARTS[1]['messageId']}"
    assert texts[1][1].startswith("[...]")


def test_a_complete_group_is_never_flushed(client: Client, django_capture_on_commit_callbacks) -> None:
    deliver_parts(client, django_capture_on_commit_callbacks, [0, 1, 2])
    assert sms_concat_flush_stale(now=timezone.now() + timedelta(days=2)) == 0
    assert Message.objects.count() == 1
    assert "[...]" not in Message.objects.get().text
    assert mail.outbox == []


def test_the_flush_is_a_scheduled_task(settings, client: Client, django_capture_on_commit_callbacks) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["flush-incomplete-sms"]["task"] == "ingestion.flush_incomplete_sms"
    settings.SMS_CONCAT_FLUSH_AFTER_SECONDS = 0
    deliver_parts(client, django_capture_on_commit_callbacks, [1])
    assert flush_incomplete_sms.apply().get() == 1
    assert Message.objects.count() == 1
