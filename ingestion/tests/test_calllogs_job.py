"""The call-log job end to end: inbox -> raw copy + ledger -> messages -> classifier -> warehouse.

On the file-system lake unless a test asks for the S3 server (`s3_lake`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from classification.services import classify_texts
from ingestion.calllogs.job import call_logs_ingest
from ingestion.models import Message, RawEvent
from ingestion.services import raw_events_sweep
from ingestion.tests.calllogs.helpers import INBOX, LONDON, KeywordClassifier, drop, fixture_bytes
from lake import Lake
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _source_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_SOURCE_TZ = LONDON


@pytest.fixture
def classifier(monkeypatch: pytest.MonkeyPatch) -> KeywordClassifier:
    fake = KeywordClassifier()
    monkeypatch.setattr("ingestion.bulk.classify_texts", fake)
    return fake


def calls() -> dict[str, Message]:
    return {m.external_id: m for m in Message.objects.filter(source="call_center")}


def read_rejects(lake: Lake, key: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in lake.read(key).decode().splitlines()]


def test_a_canonical_file_becomes_one_message_per_call_with_the_customer_side_classified(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    key = drop(file_lake, "2025-10-25/calls.jsonl", fixture_bytes("calls.jsonl"))
    summary = call_logs_ingest()

    (file,) = summary.files
    assert (file.outcome, file.format, file.calls, file.new_calls, file.duplicates, file.rejected) == (
        "ingested",
        "canonical_jsonl",
        5,
        4,
        1,
        1,
    )
    stored = calls()
    assert sorted(stored) == ["CALL-1001", "CALL-1002", "CALL-1004", "CALL-1005"]
    first = stored["CALL-1001"]
    assert (first.channel, first.provider) == ("call", "call_log")
    assert first.text == "I was charged twice for order 48213 and nobody has refunded me.\nThank you."
    assert first.occurred_at == datetime(2025, 10, 25, 13, 2, 11, tzinfo=UTC)
    assert first.contact_phone == "+447700900123"
    # The whole conversation is kept; only the customer's words went to the classifier.
    assert first.metadata["transcript"][0]["text"] == "Thanks for calling Acme, how can I help?"
    assert "Thanks for calling Acme, how can I help?" not in "\n".join(classifier.texts)
    assert "I was charged twice for order 48213 and nobody has refunded me.\nThank you." in classifier.texts

    # Routing: complaints in the warehouse, the rest tagged and kept.
    assert {k for k, m in stored.items() if m.status == Message.Status.COMPLAINT} == {"CALL-1001", "CALL-1004"}
    assert stored["CALL-1002"].status == Message.Status.FILTERED
    assert stored["CALL-1002"].not_complaint_reason == "question"
    complaint = Complaint.objects.get(external_id="CALL-1001")
    assert (complaint.source, complaint.channel, complaint.status) == ("call_center", "call", "pending")
    assert complaint.reference.startswith("CMP-")
    assert (complaint.message_id, complaint.id) == (first.id, first.complaint_id)
    assert [e.action for e in complaint.events.all()] == ["created"]  # the audit trail starts as for any source
    assert (file.complaints, file.non_complaints) == (2, 2)

    # The ledger: one row, the file as received under raw/call_center/<partition>/.
    event = RawEvent.objects.get()
    assert (event.source, event.provider, event.status) == ("call_center", "call_log", RawEvent.Status.PROCESSED)
    assert event.lake_key.startswith(f"raw/call_center/{event.received_at:%Y/%m/%d/%H}/")
    assert event.lake_key.endswith(".jsonl")
    assert file_lake.read(event.lake_key) == fixture_bytes("calls.jsonl")
    assert event.meta["inbox_key"] == key
    assert event.meta["counts"]["complaints"] == 2 and event.message_count == 5


def test_a_bad_row_in_the_middle_is_rejected_alone_into_a_report_beside_the_raw_file(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    summary = call_logs_ingest()
    event = RawEvent.objects.get()
    assert summary.files[0].rejects_key == f"{event.lake_key}.rejects.jsonl" == event.meta["rejects_key"]
    (reject,) = read_rejects(file_lake, summary.files[0].rejects_key)
    assert reject["line"] == 3
    assert str(reject["reason"]).startswith("timestamp: not a date and time: 'yesterday afternoon'")
    assert '"CALL-1003"' in str(reject["content"])
    # The rows after it went through.
    assert {"CALL-1004", "CALL-1005"} <= set(calls())


def test_an_identical_re_upload_is_a_no_op(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    call_logs_ingest()
    batches = len(classifier.batches)

    again = call_logs_ingest()  # nothing changed: not even read
    assert [f.outcome for f in again.files] == ["unchanged"]

    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))  # same bytes, new mtime
    again = call_logs_ingest()
    assert [f.outcome for f in again.files] == ["unchanged"]
    assert RawEvent.objects.count() == 1 and Message.objects.count() == 4 and Complaint.objects.count() == 2
    assert len(classifier.batches) == batches


def test_a_changed_file_under_the_same_name_is_processed_and_de_duplicated_by_call_id(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    call_logs_ingest()
    extra = {
        "call_id": "CALL-2001",
        "timestamp": "2025-10-25T18:00:00Z",
        "call_duration": 50,
        "transcript": [{"speaker": "customer", "text": "I want to cancel, the app is down again"}],
    }
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl") + json.dumps(extra).encode() + b"\n")

    (file,) = call_logs_ingest().files
    assert (file.outcome, file.calls, file.new_calls, file.duplicates) == ("ingested", 6, 1, 5)
    assert RawEvent.objects.count() == 2
    assert Message.objects.count() == 5 and Complaint.objects.count() == 3
    assert classifier.texts.count("I was charged twice for order 48213 and nobody has refunded me.\nThank you.") == 1


def test_the_same_call_in_two_files_is_one_message(file_lake: Lake, classifier: KeywordClassifier) -> None:
    row = {
        "call_id": "DUP-1",
        "timestamp": "2025-10-25T10:00:00Z",
        "call_duration": 5,
        "transcript": "Customer: I was charged twice",
    }
    drop(file_lake, "a.jsonl", json.dumps(row).encode() + b"\n")
    drop(file_lake, "b.jsonl", json.dumps({**row, "call_duration": 6}).encode() + b"\n")
    summary = call_logs_ingest()
    assert [(f.new_calls, f.duplicates) for f in summary.files] == [(1, 0), (0, 1)]
    assert Message.objects.filter(external_id="DUP-1").count() == 1 and Complaint.objects.count() == 1


def big_file(count: int) -> bytes:
    rows = [
        {
            "call_id": f"BULK-{i:04d}",
            "timestamp": "2025-10-25T10:00:00Z",
            "call_duration": i,
            "transcript": [
                {"speaker": "customer", "text": f"Call {i}: " + ("I was charged twice" if i % 3 == 0 else "thanks!")}
            ],
        }
        for i in range(count)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def test_a_crash_in_the_middle_of_a_file_resumes_without_duplicates(
    file_lake: Lake, classifier: KeywordClassifier, settings
) -> None:
    settings.CALL_LOG_BATCH_SIZE = 10
    drop(file_lake, "big.jsonl", big_file(45))
    classifier.fail_on_batch = 3  # two batches written, the classifier blows up on the third

    (first,) = call_logs_ingest().files
    assert first.outcome == "failed" and "simulated crash" in first.error
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.FAILED and event.attempts == 1
    assert Message.objects.count() == 20 and event.meta["progress"]["calls"] == 20

    resumed, scanned = call_logs_ingest().files  # resumed from the ledger; the inbox copy is known
    assert (resumed.outcome, scanned.outcome) == ("ingested", "unchanged")
    event.refresh_from_db()
    assert event.status == RawEvent.Status.PROCESSED and event.attempts == 2
    assert Message.objects.count() == 45 and not Message.objects.filter(status=Message.Status.NEW).exists()
    assert Complaint.objects.count() == 15
    assert sorted(classifier.texts) == sorted(set(classifier.texts))  # nobody was classified twice
    assert len(classifier.texts) == 45


def test_a_run_that_dies_while_writing_a_batch_leaves_none_of_it_and_resumes_without_duplicates(
    file_lake: Lake, classifier: KeywordClassifier, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingestion.bulk as bulk

    settings.CALL_LOG_BATCH_SIZE = 10
    drop(file_lake, "big.jsonl", big_file(45))
    real_create, calls_made = bulk.complaints_create_bulk, []

    def dies_on_the_third(**kwargs):  # type: ignore[no-untyped-def]
        calls_made.append(1)
        if len(calls_made) == 3:
            raise RuntimeError("worker lost between the messages and their complaints")
        return real_create(**kwargs)

    monkeypatch.setattr(bulk, "complaints_create_bulk", dies_on_the_third)
    assert call_logs_ingest().files[0].outcome == "failed"
    # A batch's messages, verdicts and complaints are one transaction: the third batch left nothing.
    assert Message.objects.count() == 20
    assert Complaint.objects.count() == Message.objects.filter(status=Message.Status.COMPLAINT).count()

    monkeypatch.setattr(bulk, "complaints_create_bulk", real_create)
    call_logs_ingest()
    assert Message.objects.count() == 45 and not Message.objects.filter(status=Message.Status.NEW).exists()
    assert Complaint.objects.count() == 15
    assert Complaint.objects.values("external_id").distinct().count() == 15
    assert set(Message.objects.filter(status=Message.Status.COMPLAINT).values_list("complaint_id", flat=True)) == set(
        Complaint.objects.values_list("id", flat=True)
    )


def test_calls_recorded_but_not_routed_are_routed_when_their_file_is_resumed(
    file_lake: Lake, classifier: KeywordClassifier, settings
) -> None:
    # Rows left `new` (a run of an earlier version died between its insert and its routing, or an
    # operator reset them): the resumed file classifies and routes exactly those.
    settings.CALL_LOG_BATCH_SIZE = 10
    drop(file_lake, "big.jsonl", big_file(45))
    call_logs_ingest()
    event = RawEvent.objects.get()
    unrouted = list(Message.objects.order_by("external_id").values_list("id", flat=True)[:12])
    Complaint.objects.filter(message_id__in=unrouted).delete()
    Message.objects.filter(id__in=unrouted).update(
        status=Message.Status.NEW, is_complaint=None, complaint_id=None, classified_at=None
    )
    RawEvent.objects.filter(id=event.id).update(
        status=RawEvent.Status.PROCESSING,
        enqueued_at=timezone.now() - timedelta(seconds=settings.CALL_LOG_LEASE_SECONDS + 1),
    )
    classifier.batches.clear()

    assert call_logs_ingest().files[0].outcome == "ingested"
    assert Message.objects.count() == 45 and not Message.objects.filter(status=Message.Status.NEW).exists()
    assert Complaint.objects.count() == 15
    assert len(classifier.texts) == 12  # only the unrouted ones were classified again


def test_a_run_that_died_holding_a_file_is_taken_over_once_its_lease_expires(
    file_lake: Lake, classifier: KeywordClassifier, settings
) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    call_logs_ingest()
    event = RawEvent.objects.get()
    # As if the worker had been killed mid-file: the row still says processing, nothing more.
    RawEvent.objects.filter(id=event.id).update(status=RawEvent.Status.PROCESSING, enqueued_at=timezone.now())
    Message.objects.filter(external_id="CALL-1005").delete()

    assert [f.outcome for f in call_logs_ingest().files] == ["unchanged"]  # lease still held
    RawEvent.objects.filter(id=event.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=settings.CALL_LOG_LEASE_SECONDS + 1)
    )
    outcomes = [f.outcome for f in call_logs_ingest().files]
    assert outcomes == ["ingested", "unchanged"]  # resumed from the ledger, then the inbox scan
    assert "CALL-1005" in calls() and Message.objects.count() == 4


def test_the_sweeper_leaves_call_log_files_to_their_own_job(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    call_logs_ingest()
    RawEvent.objects.update(status=RawEvent.Status.PROCESSING, enqueued_at=timezone.now() - timedelta(days=1))
    assert raw_events_sweep(now=timezone.now()) == []


def test_naive_times_in_the_file_take_call_log_source_tz(file_lake: Lake, classifier: KeywordClassifier) -> None:
    rows = [
        {"call_id": "TZ-naive", "timestamp": "2025-07-01 12:00:00", "call_duration": 1, "transcript": "hi"},
        {"call_id": "TZ-gap", "timestamp": "2026-03-29 01:30:00", "call_duration": 1, "transcript": "hi"},
        {"call_id": "TZ-overlap", "timestamp": "2025-10-26 01:30:00", "call_duration": 1, "transcript": "hi"},
    ]
    drop(file_lake, "tz.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())
    call_logs_ingest()
    stored = calls()
    assert stored["TZ-naive"].occurred_at == datetime(2025, 7, 1, 11, 0, tzinfo=UTC)
    assert stored["TZ-gap"].occurred_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert stored["TZ-gap"].metadata["time_note"] == "dst_gap"
    assert stored["TZ-overlap"].occurred_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert stored["TZ-overlap"].metadata["time_note"] == "dst_overlap"


def test_an_unreadable_file_is_quarantined_with_its_reason_and_kept(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "notes.txt", b"this is not a call log\n")
    (file,) = call_logs_ingest().files
    assert file.outcome == "quarantined" and "not a known call-log format" in file.error
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.QUARANTINED
    assert file_lake.read(event.lake_key) == b"this is not a call log\n"
    reason = json.loads(file_lake.read(event.meta["quarantine_key"]))
    assert reason["raw_key"] == event.lake_key and "not a known call-log format" in reason["reason"]
    assert event.meta["quarantine_key"].startswith("quarantine/call_center/")


def test_the_inbox_on_the_s3_server_works_like_the_one_on_disk(s3_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(s3_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    drop(s3_lake, "cdr/Master.csv", fixture_bytes("Master.csv"), gzipped=True)
    summary = call_logs_ingest()
    assert [(f.format, f.outcome, f.calls, f.rejected) for f in summary.files] == [
        ("canonical_jsonl", "ingested", 5, 1),
        ("asterisk_cdr", "ingested", 3, 1),
    ]
    events = {e.meta["format"]: e for e in RawEvent.objects.all()}
    assert s3_lake.read(events["canonical_jsonl"].lake_key) == fixture_bytes("calls.jsonl")
    assert events["asterisk_cdr"].lake_key.endswith(".csv")
    assert len(read_rejects(s3_lake, events["canonical_jsonl"].meta["rejects_key"])) == 1
    assert Complaint.objects.count() == 2 and Message.objects.count() == 7

    drop(s3_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))  # identical re-upload (new ETag? same bytes)
    assert {f.outcome for f in call_logs_ingest().files} == {"unchanged"}
    assert RawEvent.objects.count() == 2


def test_a_path_limits_the_run_to_one_file(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "a/calls.jsonl", fixture_bytes("calls.jsonl"))
    drop(file_lake, "b/calls.csv", fixture_bytes("calls.csv"))
    summary = call_logs_ingest(path=f"{INBOX}/b/calls.csv")
    assert [(f.key, f.outcome) for f in summary.files] == [(f"{INBOX}/b/calls.csv", "ingested")]
    assert sorted(calls()) == ["CSV-1", "CSV-3"]


def test_with_the_real_classifier_interface_every_call_gets_a_verdict(file_lake: Lake) -> None:
    drop(file_lake, "calls.csv", fixture_bytes("calls.csv"))
    (file,) = call_logs_ingest().files
    assert file.complaints + file.non_complaints == 2
    versions = {p.model_version for p in classify_texts(["x"])}
    for message in Message.objects.all():
        assert message.classified_at is not None and message.model_version in versions
        assert message.status in (Message.Status.COMPLAINT, Message.Status.FILTERED)


def test_without_a_trained_model_the_files_wait_for_the_retry_instead_of_failing(
    file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classification.model import ClassifierNotReady
    from ingestion.calllogs.job import ClassifierUnavailable

    def not_ready(texts: object) -> None:
        raise ClassifierNotReady("no classifier model in var/models")

    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    monkeypatch.setattr("ingestion.bulk.classify_texts", not_ready)
    with pytest.raises(ClassifierUnavailable):  # a transient error: the Celery task retries
        call_logs_ingest()
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.RECEIVED and "no classifier model" in event.error

    fake = KeywordClassifier()
    monkeypatch.setattr("ingestion.bulk.classify_texts", fake)
    resumed, _ = call_logs_ingest().files
    assert resumed.outcome == "ingested" and Complaint.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_batches_are_written_on_a_second_thread_in_order(
    file_lake: Lake, classifier: KeywordClassifier, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import ingestion.bulk as bulk
    from ingestion.calllogs.writer import BatchWriter

    assert BatchWriter().threaded  # committed data, PostgreSQL: the writer thread is used
    settings.CALL_LOG_BATCH_SIZE = 10
    drop(file_lake, "big.jsonl", big_file(95))
    real_write, writers = bulk.messages_write_bulk, set()

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        writers.add(threading.current_thread().name)
        return real_write(**kwargs)

    monkeypatch.setattr("ingestion.calllogs.stream.messages_write_bulk", spy)
    (file,) = call_logs_ingest().files
    assert writers and all(name.startswith("calllog-writer") for name in writers)
    assert (file.calls, file.new_calls, file.complaints, file.non_complaints) == (95, 95, 32, 63)
    event = RawEvent.objects.get()
    assert event.meta["progress"] == {"line": 95, "calls": 95, "rejected": 0}
    assert Message.objects.count() == 95 and Complaint.objects.count() == 32


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_on_the_writer_thread_fails_the_file_and_the_next_run_resumes_it(
    file_lake: Lake, classifier: KeywordClassifier, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingestion.bulk as bulk

    settings.CALL_LOG_BATCH_SIZE = 10
    drop(file_lake, "big.jsonl", big_file(45))
    real_route, calls_made = bulk.messages_route_bulk, []

    def dies_on_the_third(**kwargs):  # type: ignore[no-untyped-def]
        calls_made.append(1)
        if len(calls_made) == 3:
            raise RuntimeError("database went away mid-batch")
        return real_route(**kwargs)

    monkeypatch.setattr(bulk, "messages_route_bulk", dies_on_the_third)
    (first,) = call_logs_ingest().files
    assert first.outcome == "failed" and "database went away" in first.error
    assert RawEvent.objects.get().status == RawEvent.Status.FAILED
    call_logs_ingest()
    assert Message.objects.count() == 45 and not Message.objects.filter(status=Message.Status.NEW).exists()
    assert Complaint.objects.count() == 15


def test_a_run_removes_the_work_files_that_killed_jobs_left_and_nothing_else(
    file_lake: Lake, classifier: KeywordClassifier, settings, tmp_path
) -> None:
    import os
    import time

    settings.CALL_LOG_WORK_DIR = str(tmp_path)
    two_days_ago = time.time() - 2 * 24 * 3600
    left = [tmp_path / "calllog-abc123.part", tmp_path / "calllog-rejects-def456.jsonl"]
    kept = [
        tmp_path / "calllog-rejects-now.jsonl",  # a running job's spool
        tmp_path / "someone-elses.part",  # not a call-log work file
    ]
    for path in [*left, *kept]:
        path.write_bytes(b"x")
    for path in [*left, kept[1]]:
        os.utime(path, (two_days_ago, two_days_ago))
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))

    summary = call_logs_ingest()

    assert summary.files and summary.files[0].outcome == "ingested"
    assert not any(path.exists() for path in left)
    assert all(path.exists() for path in kept)
