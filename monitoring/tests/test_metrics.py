"""/metrics: who may read it, and each metric moving when its event happens."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from complaintsite.celery import app as celery_app
from ingestion.models import RawEvent
from ingestion.tasks import process_raw_event
from ingestion.tests.webhook_helpers import payload, post_meta, provider_secrets  # noqa: F401
from monitoring.services import heartbeat_record

pytestmark = pytest.mark.django_db

FORM = {
    "category": "billing",
    "text": "I was charged twice for my March bill and nobody answers the phone. Please refund me.",
    "email": "cy@example.com",
}
TOKEN = "metrics-token-0123456789abcdef"


def scrape(client: Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def with_name(samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float], name: str) -> dict[frozenset, float]:  # type: ignore[type-arg]
    return {labels: v for (n, labels), v in samples.items() if n == name}


# --- access -----------------------------------------------------------------------------------
def test_loopback_may_read_metrics_by_default(client: Client) -> None:
    assert client.get("/metrics").status_code == 200  # the test client's REMOTE_ADDR is 127.0.0.1


def test_another_address_is_refused_without_a_token(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403


def test_an_allowed_network_may_read_metrics(client: Client, settings) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="11.1.2.3").status_code == 403


def test_a_bearer_token_opens_metrics_from_anywhere_and_a_wrong_one_is_401(client: Client, settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 401


# --- each metric moves ------------------------------------------------------------------------
def test_a_form_complaint_moves_received_latency_and_classifier_metrics(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/complaints/new/", FORM).status_code == 302
    after = scrape(client)
    labels = {"source": "web_form", "channel": "web_form"}
    assert (
        value(after, "complaints_messages_received_total", **labels)
        == value(before, "complaints_messages_received_total", **labels) + 1
    )
    name = "complaints_receipt_to_warehouse_seconds_count"
    assert value(after, name, source="web_form") == value(before, name, source="web_form") + 1
    assert (
        value(after, "complaints_receipt_to_warehouse_seconds_bucket", source="web_form", le="+Inf")
        == value(before, "complaints_receipt_to_warehouse_seconds_bucket", source="web_form", le="+Inf") + 1
    )
    assert (
        value(after, "complaints_classifier_batch_seconds_count")
        == value(before, "complaints_classifier_batch_seconds_count") + 1
    )
    assert value(after, "complaints_classifier_texts_total") == value(before, "complaints_classifier_texts_total") + 1
    assert value(after, "complaints_classifier_batch_seconds_sum") > value(
        before, "complaints_classifier_batch_seconds_sum"
    )


@pytest.mark.usefixtures("provider_secrets")
def test_rejections_are_counted_by_reason(client: Client, settings, django_capture_on_commit_callbacks) -> None:
    body = payload("meta_messenger.json")
    before = scrape(client)
    assert post_meta(client, body, signature="sha256=" + "0" * 64).status_code == 403
    assert post_meta(client, b'{"object": "page", "entry": [{"messaging": [{]}').status_code == 400
    too_big = client.generic(
        "POST",
        "/webhooks/meta/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.WEBHOOK_MAX_BODY_BYTES + 1),
        HTTP_X_HUB_SIGNATURE_256="sha256=00",
    )
    assert too_big.status_code == 413
    with django_capture_on_commit_callbacks(execute=True):
        assert post_meta(client, body).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert post_meta(client, body).status_code == 200  # Meta re-delivers: the same message again
    after = scrape(client)

    def moved(reason: str) -> float:
        name = "complaints_edge_rejected_total"
        return value(after, name, source="meta", reason=reason) - value(before, name, source="meta", reason=reason)

    assert moved("signature") == 1
    assert moved("malformed") == 1
    assert moved("too_large") == 1
    messages = RawEvent.objects.filter(provider="meta").first().message_count  # type: ignore[union-attr]
    assert messages >= 1 and moved("duplicate") == messages
    name = "complaints_edge_received_total"
    assert value(after, name, source="meta") - value(before, name, source="meta") == 2


def test_queue_depth_and_the_oldest_unprocessed_event_are_read_at_scrape_time(
    client: Client, settings, own_redis
) -> None:
    settings.CELERY_BROKER_URL = own_redis.url
    assert value(scrape(client), "complaints_queue_depth", queue="celery") == 0
    old = timezone.now() - timedelta(minutes=10)
    event = RawEvent.objects.create(
        source="sms",
        provider="twilio",
        lake_key=f"raw/sms/{uuid.uuid4()}.form",
        sha256="0" * 64,
        size=1,
        received_at=old,
        enqueued_at=old,
    )
    RawEvent.objects.create(
        source="sms",
        provider="twilio",
        lake_key=f"raw/sms/{uuid.uuid4()}.form",
        sha256="0" * 64,
        size=1,
        received_at=timezone.now(),
        status=RawEvent.Status.FAILED,
    )
    celery_app.conf.task_always_eager = False  # published for real, to a broker no worker reads
    with Connection(own_redis.url) as conn:
        process_raw_event.apply_async(args=[str(event.id)], connection=conn)
        process_raw_event.apply_async(args=[str(event.id)], connection=conn)
    samples = scrape(client)
    assert value(samples, "complaints_queue_depth", queue="celery") == 2
    assert value(samples, "complaints_raw_events", status="received") == 1
    assert value(samples, "complaints_raw_events", status="failed") == 1
    age = value(samples, "complaints_oldest_unprocessed_event_age_seconds", source="sms")
    assert 600 <= age < 700
    assert value(samples, "complaints_scrape_error", part="broker") == 0

    own_redis.stop()  # the broker gone: the rest of the scrape still answers
    samples = scrape(client)
    assert value(samples, "complaints_scrape_error", part="broker") == 1
    assert value(samples, "complaints_raw_events", status="received") == 1


def test_failures_and_retries_of_tasks_are_counted(
    client: Client, settings, tmp_path, tasks_fail_like_a_worker
) -> None:
    from lake import reset_lake_cache

    blocked = tmp_path / "blocked"
    blocked.write_text("not a directory")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    now = timezone.now()
    event = RawEvent.objects.create(
        source="sms",
        provider="twilio",
        lake_key=f"raw/sms/{uuid.uuid4()}.form",
        sha256="0" * 64,
        size=1,
        received_at=now,
        enqueued_at=now,
    )
    task = "ingestion.process_raw_event"
    before = scrape(client)
    process_raw_event.delay(str(event.id))
    after = scrape(client)
    assert (
        value(after, "complaints_task_failures_total", task=task)
        == value(before, "complaints_task_failures_total", task=task) + 1
    )
    assert (
        value(after, "complaints_task_retries_total", task=task)
        == value(before, "complaints_task_retries_total", task=task) + process_raw_event.max_retries
    )


def test_memory_and_cpu_of_the_web_process_are_reported(client: Client) -> None:
    import metrics

    metrics.process_sample(role="web", force=True)
    client.get("/healthz")
    samples = scrape(client)
    assert value(samples, "complaints_process_resident_memory_bytes", role="web") > 10 * 1024 * 1024
    assert value(samples, "complaints_process_cpu_seconds", role="web") > 0


def test_a_worker_heartbeat_reports_the_worker_process_and_its_age(client: Client) -> None:
    from monitoring.tasks import heartbeat

    heartbeat.apply(headers={"hostname": "celery@test"})  # what beat sends every 30 s
    heartbeat_record(component="beat", instance="beat-host")
    samples = scrape(client)
    assert value(samples, "complaints_process_resident_memory_bytes", role="worker") > 0
    ages = with_name(samples, "complaints_heartbeat_age_seconds")
    assert {dict(labels)["component"] for labels in ages} == {"worker", "beat"}
    assert all(age < 60 for age in ages.values())


def test_the_call_log_job_counts_files_and_rows_and_reports_a_bad_file(client: Client, settings, file_lake) -> None:
    from django.core import mail

    from ingestion.calllogs.tasks import ingest_call_logs
    from ingestion.tests.calllogs.helpers import drop, fixture_bytes
    from monitoring.alerts import alerts_flush
    from monitoring.throttle import epoch_now

    settings.CALL_LOG_SOURCE_TZ = "Europe/London"
    drop(file_lake, "calls.csv", fixture_bytes("calls.csv"))  # one of its rows is bad
    drop(file_lake, "junk.bin", b"\x00\x01\x02 not a call log at all \xff\xfe")
    before = scrape(client)
    result = ingest_call_logs.delay().get()
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("complaints_calllog_files_total", outcome="ingested") == 1
    assert moved("complaints_calllog_files_total", outcome="quarantined") == 1
    assert moved("complaints_calllog_rows_total", outcome="accepted") == result["calls"] > 0
    assert moved("complaints_calllog_rows_total", outcome="rejected") == result["rejected"] == 1
    calls = moved("complaints_messages_received_total", source="call_center", channel="call")
    assert calls == result["new_calls"] > 0
    alerts_flush(now=epoch_now() + settings.ALERT_GATHER_SECONDS + 1)
    assert [m.subject for m in mail.outbox] == ["[Complaints] Event quarantined: call_center (call-log job)"]
    assert "junk.bin" in mail.outbox[0].body
