"""The admin as an operator uses it: what monitoring records cannot be made up by hand, and the
raw-event list stays fast on a ledger of millions (no query over the whole table per page)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ingestion.models import RawEvent
from monitoring.models import Heartbeat, JobStatus, VolumeSpike

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def ledger_row(*, provider: str = "twilio", status: str = RawEvent.Status.FAILED) -> RawEvent:
    event_id = uuid.uuid4()
    return RawEvent.objects.create(
        id=event_id,
        source="sms",
        provider=provider,
        lake_key=f"raw/sms/{event_id}.form",
        sha256=uuid.uuid4().hex * 2,
        size=1,
        received_at=timezone.now(),
        status=status,
        error="boom",
    )


# --- monitoring's rows are written by the processes, never by hand -------------------------------
@pytest.mark.parametrize("model", ["heartbeat", "jobstatus", "volumespike"])
def test_monitoring_rows_cannot_be_added_by_hand(admin_client: Client, model: str) -> None:
    # A heartbeat added here would make /readyz report a worker that does not exist.
    assert admin_client.get(f"/admin/monitoring/{model}/add/").status_code == 403
    assert f'href="/admin/monitoring/{model}/add/"' not in admin_client.get("/admin/").content.decode()


def test_job_statuses_and_spikes_cannot_be_deleted_but_a_retired_machines_heartbeat_can(admin_client: Client) -> None:
    now = timezone.now()
    job = JobStatus.objects.create(task_name="ingestion.ingest_call_logs")
    spike = VolumeSpike.objects.create(
        scope="source",
        key="sms",
        window_start=now,
        window_end=now,
        count=50,
        baseline_median=3,
        baseline_mad=1,
        baseline_samples=12,
        threshold=10,
    )
    beat = Heartbeat.objects.create(component="worker", instance="celery@retired", last_seen=now)
    # A deleted job row would come back with a new created_at and hide a job that never runs.
    assert admin_client.get(f"/admin/monitoring/jobstatus/{job.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/monitoring/volumespike/{spike.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/monitoring/heartbeat/{beat.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Heartbeat.objects.exists()


def test_monitoring_rows_cannot_be_edited(admin_client: Client) -> None:
    job = JobStatus.objects.create(task_name="ingestion.ingest_call_logs", failures=3)
    admin_client.post(f"/admin/monitoring/jobstatus/{job.pk}/change/", {"task_name": "x", "failures": "0"})
    job.refresh_from_db()
    assert job.task_name == "ingestion.ingest_call_logs" and job.failures == 3


# --- the raw-event list on a big ledger ----------------------------------------------------------
def test_the_provider_filter_offers_every_provider_without_reading_the_ledger(admin_client: Client) -> None:
    ledger_row(provider="twilio")
    call_log = ledger_row(provider="call_log")
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/ingestion/rawevent/")
    assert page.status_code == 200
    html = page.content.decode()
    for provider in ("call_log", "meta", "twilio", "vonage", "web_form", "x"):  # vonage: none stored yet
        assert f"?provider={provider}" in html
    assert not [q["sql"] for q in queries.captured_queries if 'DISTINCT "ingestion_rawevent"."provider"' in q["sql"]]

    # The link a call-log failure e-mail gives.
    listing = admin_client.get("/admin/ingestion/rawevent/", {"provider": "call_log", "status__exact": "failed"})
    assert [e.pk for e in listing.context["cl"].result_list] == [call_log.pk]


def test_an_event_id_from_an_e_mail_is_found_by_its_primary_key(admin_client: Client) -> None:
    event, _other = ledger_row(), ledger_row()
    with CaptureQueriesContext(connection) as queries:
        listing = admin_client.get("/admin/ingestion/rawevent/", {"q": f" {event.id} "})
    assert [e.pk for e in listing.context["cl"].result_list] == [event.pk]
    # UPPER(id::text) = UPPER(...) or LIKE '%...%' would read every row of the ledger.
    searches = [q["sql"] for q in queries.captured_queries if 'FROM "ingestion_rawevent"' in q["sql"]]
    assert searches and not [sql for sql in searches if "UPPER(" in sql]

    by_hash = admin_client.get("/admin/ingestion/rawevent/", {"q": event.sha256.upper()})
    assert [e.pk for e in by_hash.context["cl"].result_list] == [event.pk]
    by_key = admin_client.get("/admin/ingestion/rawevent/", {"q": str(event.id)[:8]})  # part of the lake key
    assert [e.pk for e in by_key.context["cl"].result_list] == [event.pk]
