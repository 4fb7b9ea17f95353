"""Filtered messages: listed with the classifier's reason, and promoted into the queue by an agent."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from agents.tests.conftest import client_for
from classification.models import Feedback
from ingestion.models import Message, RawEvent
from warehouse.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db


def filtered_message(text: str = "lol the app is on fire today 🔥", reason: str = "joke", **extra) -> Message:  # type: ignore[no-untyped-def]
    now = timezone.now()
    event = RawEvent.objects.create(
        source="social",
        provider="x",
        lake_key=f"raw/social/{uuid.uuid4()}.json",
        sha256="0" * 64,
        size=10,
        received_at=now,
        status=RawEvent.Status.PROCESSED,
    )
    fields = {
        "raw_event": event,
        "source": "social",
        "channel": "x_mention",
        "provider": "x",
        "external_id": str(uuid.uuid4()),
        "customer_handle": "@dave",
        "text": text,
        "occurred_at": now,
        "received_at": now,
        "status": Message.Status.FILTERED,
        "is_complaint": False,
        "not_complaint_reason": reason,
        "complaint_confidence": 0.31,
        "model_version": "m-7",
    }
    fields.update(extra)
    return Message.objects.create(**fields)


def test_the_page_lists_filtered_messages_with_their_reason(agent) -> None:
    filtered_message(text="You are the best bank ever", reason="praise")
    filtered_message(text="BUY FOLLOWERS NOW", reason="spam")
    html = client_for(agent).get("/agents/messages/filtered/").content.decode()
    assert "You are the best bank ever" in html and "BUY FOLLOWERS NOW" in html
    assert "Praise" in html and "Spam" in html
    html = client_for(agent).get("/agents/messages/filtered/?reason=spam").content.decode()
    assert "BUY FOLLOWERS NOW" in html and "best bank" not in html


def test_promoting_creates_the_complaint_records_feedback_and_audits_who(agent) -> None:
    message = filtered_message(text="lol the app is on fire today, cannot log in since 9am")
    response = client_for(agent).post(
        f"/agents/messages/{message.pk}/promote/", {"category": "account_access", "then": "open"}
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/agents/complaints/{complaint.pk}/"
    assert complaint.text == message.text and complaint.message_id == message.id
    assert (complaint.source, complaint.channel, complaint.customer_handle) == ("social", "x_mention", "@dave")
    assert complaint.category == "account_access" and complaint.status == "pending"
    assert complaint.reference.startswith("CMP-")
    message.refresh_from_db()
    assert (message.status, message.complaint_id) == (Message.Status.COMPLAINT, complaint.id)
    created = ComplaintEvent.objects.get(complaint=complaint)
    assert created.action == "created" and created.actor == agent
    assert created.data["promoted_from_message"] == str(message.id) and created.data["filtered_as"] == "joke"
    tasks = {(f.task, f.label, f.previous_label) for f in Feedback.objects.all()}
    assert tasks == {("complaint", "complaint", "not_complaint"), ("category", "account_access", "")}


def test_promoting_twice_creates_one_complaint_and_tells_the_second_agent(agent, other_agent) -> None:
    message = filtered_message()
    client_for(agent).post(f"/agents/messages/{message.pk}/promote/", {})
    response = client_for(other_agent).post(f"/agents/messages/{message.pk}/promote/", {}, follow=True)
    reference = Complaint.objects.get().reference
    assert f"This message is already in the queue as {reference}." in response.content.decode()
    assert Complaint.objects.count() == 1
    assert Feedback.objects.count() == 1


def test_the_api_lists_and_promotes_with_409_on_a_repeat(agent) -> None:
    message = filtered_message(reason="question")
    client = client_for(agent)
    body = client.get("/api/v1/messages/filtered/?reason=question").json()
    assert [row["id"] for row in body["results"]] == [str(message.id)]
    response = client.post(
        f"/api/v1/messages/{message.pk}/promote/", {"category": "billing"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["category"] == "billing"
    again = client.post(f"/api/v1/messages/{message.pk}/promote/", {}, content_type="application/json")
    assert again.status_code == 409
    assert client.get("/api/v1/messages/filtered/").json()["results"] == []


def test_a_web_form_reference_finds_its_message_after_the_classifier_filtered_it(agent) -> None:
    # The customer was told CMP-20261126-HGNSA at once; the classifier then said "not a complaint".
    filtered_message(
        text="My refund never arrived",
        source="web_form",
        channel="web_form",
        metadata={"reference": "CMP-20261126-HGNSA"},
    )
    filtered_message(text="Another message altogether")
    client = client_for(agent)
    queue = client.get("/agents/?q=CMP-20261126-HGNSA").content.decode()
    assert 'href="/agents/messages/filtered/?q=CMP-20261126-HGNSA" data-search-filtered' in queue
    html = client.get("/agents/messages/filtered/?q=cmp-20261126-hgnsa").content.decode()  # typed as said
    assert "My refund never arrived" in html and "Another message" not in html
