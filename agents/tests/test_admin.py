"""Every model has a useful admin: lists with columns, filters and search; raw fields read-only."""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.tests.conftest import client_for, create_complaint
from classification.models import Feedback
from classification.services import feedback_record
from ingestion.models import Message, RawEvent
from warehouse.models import ComplaintEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(agent):  # type: ignore[no-untyped-def]
    complaint = create_complaint(text="The meter reading on my bill is wrong")
    event = RawEvent.objects.create(
        source="sms",
        provider="twilio",
        lake_key=f"raw/sms/{uuid.uuid4()}.form",
        sha256="a" * 64,
        size=5,
        received_at=timezone.now(),
        error="",
    )
    message = Message.objects.create(
        raw_event=event,
        source="sms",
        channel="sms",
        provider="twilio",
        external_id="SM1",
        text="hello",
        occurred_at=timezone.now(),
        received_at=timezone.now(),
        status="filtered",
        not_complaint_reason="praise",
    )
    feedback_record(text="hello", task="complaint", label="complaint", previous_label="not_complaint", user=agent)
    return {"complaint": complaint, "event": event, "message": message}


def test_every_registered_model_of_the_pipeline_has_an_admin_whose_list_and_page_load(admin_user, rows) -> None:
    client = client_for(admin_user)
    pipeline_apps = {"ingestion", "warehouse", "classification"}
    models = [m for m in admin.site._registry if m._meta.app_label in pipeline_apps]
    names = {m.__name__ for m in models}
    assert {"Complaint", "ComplaintEvent", "ComplaintReference", "RawEvent", "Message", "Category", "Feedback"} <= names
    for model in models:
        opts = model._meta
        response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert response.status_code == 200, opts.label
        first = model._default_manager.first()
        if first is not None:
            response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{first.pk}/change/")
            assert response.status_code == 200, opts.label


@pytest.mark.parametrize(
    "path", ["ingestion/rawevent", "ingestion/message", "warehouse/complaint", "warehouse/complaintevent"]
)
def test_the_lists_that_grow_without_end_read_no_distinct_values(admin_user, rows, path: str) -> None:
    # A date drill-down or an all-values filter is a SELECT DISTINCT over the whole table on every
    # page: seconds at a few million rows. Their filters offer known values instead.
    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/admin/{path}/")
    assert response.status_code == 200
    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    allowed = [sql for sql in distinct if "model_version" in sql]  # the model versions: noted, kept
    assert distinct == allowed


def test_complaint_raw_fields_are_read_only_and_cannot_be_posted(admin_user, rows) -> None:
    complaint = rows["complaint"]
    client = client_for(admin_user)
    page = client.get(f"/admin/warehouse/complaint/{complaint.pk}/change/").content.decode()
    assert 'name="text"' not in page and 'name="status"' not in page
    assert "The meter reading on my bill is wrong" in page
    assert f"/agents/complaints/{complaint.pk}/" in page
    client.post(f"/admin/warehouse/complaint/{complaint.pk}/change/", {"text": "tampered", "status": "resolved"})
    complaint.refresh_from_db()
    assert complaint.text == "The meter reading on my bill is wrong" and complaint.status == "pending"
    assert client.get("/admin/warehouse/complaint/add/").status_code == 403


def test_the_complaint_list_is_searchable_by_exact_reference_and_filterable(admin_user, rows) -> None:
    other = create_complaint(source="social", channel="x_mention")
    client = client_for(admin_user)
    page = client.get(f"/admin/warehouse/complaint/?q={other.reference}").content.decode()
    assert other.reference in page and rows["complaint"].reference not in page
    # As an operator pastes it from an e-mail or a customer reads it out: any case, no dashes.
    typed = other.reference.lower().replace("-", "")
    page = client.get(f"/admin/warehouse/complaint/?q={typed}").content.decode()
    assert other.reference in page and rows["complaint"].reference not in page
    page = client.get("/admin/warehouse/complaint/?source__exact=social").content.decode()
    assert other.reference in page and rows["complaint"].reference not in page


def test_raw_events_messages_and_feedback_are_read_only(admin_user, rows) -> None:
    client = client_for(admin_user)
    page = client.get(f"/admin/ingestion/rawevent/{rows['event'].pk}/change/").content.decode()
    assert 'name="lake_key"' not in page and rows["event"].lake_key in page
    page = client.get(f"/admin/ingestion/message/{rows['message'].pk}/change/").content.decode()
    assert 'name="text"' not in page
    feedback = Feedback.objects.get()
    page = client.get(f"/admin/classification/feedback/{feedback.pk}/change/").content.decode()
    assert 'name="label"' not in page
    assert client.get("/admin/classification/feedback/?task__exact=complaint").status_code == 200
    assert ComplaintEvent.objects.exists()
    assert client.get("/admin/warehouse/complaintevent/?action__exact=created").status_code == 200


def test_agents_without_admin_rights_cannot_use_the_admin(agent, rows) -> None:
    assert client_for(agent).get("/admin/warehouse/complaint/").status_code == 403
