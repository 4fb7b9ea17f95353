"""Failure e-mails to ADMINS: each alert fires once, identical ones are throttled into one count."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sentry_sdk
from django.core import mail
from django.utils import timezone

import metrics
from ingestion.models import RawEvent
from ingestion.services import raw_events_sweep
from ingestion.tasks import process_raw_event
from ingestion.tests.webhook_helpers import provider_secrets  # noqa: F401
from lake import raw_key, reset_lake_cache
from monitoring.alerts import alert_quarantined, alert_send, alert_stuck_events, alerts_flush
from monitoring.models import JobStatus
from monitoring.services import jobs_check
from monitoring.tests.throttle_race import hammer
from monitoring.throttle import AlertThrottle, epoch_now

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def after_gathering(settings, extra: float = 1.0) -> float:  # type: ignore[no-untyped-def]
    return epoch_now() + settings.ALERT_GATHER_SECONDS + extra


def raw_event(
    *, provider: str = "web_form", source: str = "web_form", body: bytes | None = b"x", lake=None
) -> RawEvent:  # type: ignore[no-untyped-def]
    event_id = uuid.uuid4()
    received_at = timezone.now()
    key = raw_key(source, received_at, event_id, "bin")
    if body is not None and lake is not None:
        lake.write(key, body)
    return RawEvent.objects.create(
        id=event_id,
        source=source,
        provider=provider,
        lake_key=key,
        sha256="0" * 64,
        size=len(body or b""),
        received_at=received_at,
        enqueued_at=received_at,
    )


# --- throttling -------------------------------------------------------------------------------
def test_a_thousand_identical_quarantines_send_one_e_mail_with_the_count(settings) -> None:
    for i in range(1000):
        # Ids and numbers differ from one failure to the next; the failure is still the same.
        alert_quarantined(
            source="sms",
            reason=f"field 'From' missing in delivery {i}",
            lake_key=f"raw/sms/{uuid.uuid4()}.form",
        )
    assert mail.outbox == []  # a burst is gathered first
    assert alerts_flush(now=after_gathering(settings)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Event quarantined: sms (worker) (x1000)" in message.subject
    assert message.to == ["ops@example.com"]
    assert "Occurrences in this e-mail: 1000" in message.body
    assert "field 'From' missing" in message.body

    # Still inside the throttle window: counted, not sent.
    alert_quarantined(source="sms", reason="field 'From' missing in delivery 1001")
    assert alerts_flush(now=after_gathering(settings, extra=120)) == 0
    assert len(mail.outbox) == 1
    # The window over: one digest with what was held back.
    assert alerts_flush(now=after_gathering(settings, extra=settings.ALERT_THROTTLE_SECONDS + 2)) == 1
    assert len(mail.outbox) == 2 and "(x" not in mail.outbox[1].subject
    assert "Occurrences in this e-mail: 1" in mail.outbox[1].body


def test_different_failures_are_separate_e_mails(settings) -> None:
    alert_quarantined(source="sms", reason="not form-encoded")
    alert_quarantined(source="social", reason="not form-encoded")
    alert_quarantined(source="sms", reason="no message text")
    alerts_flush(now=after_gathering(settings))
    assert len(mail.outbox) == 3
    assert all("(x" not in m.subject for m in mail.outbox)


def test_with_no_gathering_period_the_first_failure_is_sent_at_once(settings) -> None:
    settings.ALERT_GATHER_SECONDS = 0
    assert alert_send(kind="test", key=["a"], subject="First", body="b") is True
    assert alert_send(kind="test", key=["a"], subject="First", body="b") is False
    assert [m.subject for m in mail.outbox] == ["[Complaints] First"]


def test_four_processes_racing_count_every_occurrence_once_and_claim_each_batch_once(settings) -> None:
    url = settings.ALERT_REDIS_URL
    start = epoch_now()
    # 4 x 250 occurrences, 0.1 s apart in each process; the gathering period ends after 10 s, so
    # about 100 occurrences in, all four processes are racing to claim the same batch.
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(hammer, [(url, 250, start, 0.1, 10.0)] * 4)
    claimed = [count for per_process in results for count in per_process]
    assert len(claimed) == 1, claimed  # one process won the claim
    held_back = AlertThrottle(url).due(now=start + 3600 + 30)
    assert len(held_back) == 1
    assert claimed[0] + held_back[0].count == 1000
    assert AlertThrottle(url).total("race") == 1000


def test_without_redis_alerts_are_still_sent_throttled_per_process(settings) -> None:
    settings.ALERT_REDIS_URL = ""
    for _ in range(5):
        alert_send(kind="local", key=["k"], subject="Local", body="b")
    assert [m.subject for m in mail.outbox] == ["[Complaints] Local"]


# --- the alerts -------------------------------------------------------------------------------
def test_a_task_out_of_retries_marks_its_event_failed_and_e_mails_once(
    settings, tmp_path, tasks_fail_like_a_worker
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be: every read fails")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    task = "ingestion.process_raw_event"
    failures = metrics.sample("complaints_task_failures_total", {"task": task})
    retries = metrics.sample("complaints_task_retries_total", {"task": task})
    events = [raw_event(body=None) for _ in range(3)]

    for event in events:
        result = process_raw_event.delay(str(event.id))
        assert result.state == "FAILURE"

    assert {e.status for e in RawEvent.objects.all()} == {RawEvent.Status.FAILED}
    assert "LakeUnavailable" in RawEvent.objects.first().error  # type: ignore[union-attr]
    assert metrics.sample("complaints_task_failures_total", {"task": task}) == failures + 3
    assert (
        metrics.sample("complaints_task_retries_total", {"task": task}) == retries + 3 * process_raw_event.max_retries
    )
    alerts_flush(now=after_gathering(settings))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("Task failed: ingestion.process_raw_event (x3)")
    assert "LakeUnavailable" in mail.outbox[0].body


def test_an_event_the_worker_quarantines_is_e_mailed(settings, file_lake) -> None:
    event = raw_event(body=b"this is not a multipart body", lake=file_lake)
    process_raw_event.delay(str(event.id))
    event.refresh_from_db()
    assert event.status == RawEvent.Status.QUARANTINED
    alerts_flush(now=after_gathering(settings))
    assert len(mail.outbox) == 1
    assert "Event quarantined: web_form (worker)" in mail.outbox[0].subject
    assert str(event.id) in mail.outbox[0].body and "not a multipart/form-data body" in mail.outbox[0].body


def test_the_call_log_job_not_having_run_for_two_hours_is_e_mailed_once(settings) -> None:
    name = "ingestion.ingest_call_logs"
    assert settings.MONITORING_JOBS[name] == 2 * 3600
    settings.MONITORING_JOBS = {name: 2 * 3600}  # the sweeper's own limit is tested elsewhere
    now = timezone.now()
    JobStatus.objects.create(task_name=name, last_succeeded_at=now - timedelta(minutes=90))
    assert name not in jobs_check(now=now)
    later = now + timedelta(minutes=31)
    assert name in jobs_check(now=later)
    assert name in jobs_check(now=later + timedelta(minutes=5))  # still late, but already reported
    alerts_flush(now=after_gathering(settings))
    assert [m.subject for m in mail.outbox] == [f"[Complaints] Scheduled job late: {name} (x2)"]


def test_a_fresh_installation_is_not_late_until_the_limit_has_passed_since_monitoring_began(settings) -> None:
    settings.MONITORING_JOBS = {"ingestion.ingest_call_logs": 7200}
    assert jobs_check() == []
    assert jobs_check(now=timezone.now() + timedelta(hours=2, minutes=1)) == ["ingestion.ingest_call_logs"]


def test_the_call_log_job_failing_is_recorded_and_e_mailed(settings, tasks_fail_like_a_worker) -> None:
    from conftest import free_port
    from ingestion.calllogs.tasks import ingest_call_logs

    # An S3 lake whose endpoint refuses connections: the job cannot even list its inbox.
    settings.LAKE_URL = "s3://no-such-bucket/lake"
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "test"
    reset_lake_cache()
    assert ingest_call_logs.delay().state == "FAILURE"
    job = JobStatus.objects.get(task_name="ingestion.ingest_call_logs")
    assert job.failures == 1 and job.last_failed_at is not None and job.last_succeeded_at is None
    alerts_flush(now=after_gathering(settings))
    assert [m.subject for m in mail.outbox] == ["[Complaints] Task failed: ingestion.ingest_call_logs"]


def test_the_sweeper_finding_stuck_events_is_e_mailed_once(settings) -> None:
    old = timezone.now() - timedelta(hours=1)
    for _ in range(3):
        RawEvent.objects.create(
            source="web_form",
            provider="web_form",
            lake_key=f"raw/web_form/{uuid.uuid4()}.multipart",
            sha256="0" * 64,
            size=1,
            received_at=old,
            enqueued_at=old,
        )
    stuck = set(RawEvent.objects.values_list("id", flat=True))
    assert set(raw_events_sweep()) == stuck  # eager: processed in-process (their bytes are missing: failed)
    assert raw_events_sweep() == []  # nothing stuck any more
    alerts_flush(now=after_gathering(settings))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Complaints] Stuck raw events: 3 found, 3 re-enqueued"


# --- Sentry -----------------------------------------------------------------------------------
class CapturingTransport(sentry_sdk.transport.Transport):
    """Sentry's servers are outside the machine: keep the envelopes instead of sending them."""

    def __init__(self, options=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:  # type: ignore[no-untyped-def]
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


def test_with_sentry_dsn_set_an_alert_is_also_a_sentry_event(settings) -> None:
    transport = CapturingTransport()
    settings.SENTRY_DSN = "https://public@sentry.example.com/1"
    sentry_sdk.init(dsn=settings.SENTRY_DSN, transport=transport)
    try:
        settings.ALERT_GATHER_SECONDS = 0
        assert alert_send(kind="test", key=["sentry"], subject="Broken thing", body="details")
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)  # back to the no-op client, as with no DSN
    assert len(transport.events) == 1
    event = transport.events[0]
    assert event["message"] == "Broken thing" and event["level"] == "error"
    assert event["fingerprint"][0] == "monitoring-alert" and event["tags"]["alert.kind"] == "test"


def test_without_sentry_dsn_sentry_is_off_and_alerts_do_not_call_it(settings, monkeypatch) -> None:
    assert not os.environ.get("SENTRY_DSN") and not settings.SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()  # settings never called sentry_sdk.init
    captured: list[str] = []
    monkeypatch.setattr(sentry_sdk, "capture_message", lambda message, **kw: captured.append(message))
    settings.ALERT_GATHER_SECONDS = 0
    assert alert_send(kind="test", key=["no-sentry"], subject="Quiet", body="b")
    assert captured == [] and len(mail.outbox) == 1


def test_settings_with_sentry_dsn_switch_on_the_django_celery_and_redis_integrations() -> None:
    code = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), ','.join(sorted(c.integrations)))"
    )
    env = {
        **os.environ,
        "SENTRY_DSN": "https://public@sentry.example.com/1",
        "DJANGO_SETTINGS_MODULE": "complaintsite.settings.test",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    active, integrations = out.stdout.strip().splitlines()[-1].split(" ")
    assert active == "True"
    assert {"django", "celery", "redis"} <= set(integrations.split(","))


@pytest.mark.usefixtures("provider_secrets")
def test_a_malformed_webhook_quarantined_at_the_edge_is_e_mailed(client, settings) -> None:  # type: ignore[no-untyped-def]
    from ingestion.tests.webhook_helpers import post_meta

    for _ in range(3):
        assert post_meta(client, b'{"object": "page", "entry": "not a list"}').status_code == 400
    alerts_flush(now=after_gathering(settings))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Complaints] Event quarantined: social (meta webhook) (x3)"


# --- what the e-mails tell the admin ---------------------------------------------------------------
def test_alert_e_mails_link_to_the_admin_page_to_act_on_with_absolute_urls(settings, file_lake) -> None:
    settings.PUBLIC_BASE_URL = "https://complaints.example.com"
    event = raw_event(body=b"this is not a multipart body", lake=file_lake)
    process_raw_event.delay(str(event.id))  # quarantined by the worker
    alert_stuck_events(found=2, requeued=2)
    alerts_flush(now=after_gathering(settings))
    bodies = {m.subject: m.body for m in mail.outbox}
    quarantined = bodies["[Complaints] Event quarantined: web_form (worker)"]
    assert f"https://complaints.example.com/admin/ingestion/rawevent/{event.id}/change/" in quarantined
    stuck = bodies["[Complaints] Stuck raw events: 2 found, 2 re-enqueued"]
    assert "https://complaints.example.com/readyz" in stuck
    assert "https://complaints.example.com/admin/ingestion/rawevent/?status__exact=received" in stuck


@pytest.mark.usefixtures("provider_secrets")
def test_a_webhook_quarantined_at_the_edge_gives_its_lake_key_and_no_admin_retry(client, settings, file_lake) -> None:  # type: ignore[no-untyped-def]
    from ingestion.tests.webhook_helpers import post_meta

    assert post_meta(client, b'{"object": "page", "entry": "not a list"}').status_code == 400
    alerts_flush(now=after_gathering(settings))
    body = mail.outbox[0].body
    # No ledger row is written at the edge: the key is the only way to the bytes.
    (key,) = [k for k in file_lake.list("quarantine/social") if not k.endswith(".reason.json")]
    assert f"Lake key: {key}" in body
    assert not RawEvent.objects.exists()
    assert "not in the admin's Raw events" in body and 'action "Retry"' not in body
