"""`manage.py ingest_call_logs`: the same job by hand, with a progress bar and a summary."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Message, RawEvent
from ingestion.tests.calllogs.helpers import INBOX, LONDON, KeywordClassifier, drop, fixture_bytes
from lake import Lake

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _source_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_SOURCE_TZ = LONDON


@pytest.fixture
def classifier(monkeypatch: pytest.MonkeyPatch) -> KeywordClassifier:
    fake = KeywordClassifier()
    monkeypatch.setattr("ingestion.bulk.classify_texts", fake)
    return fake


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_call_logs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_ingests_the_inbox_and_prints_the_summary(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    drop(file_lake, "calls.csv", fixture_bytes("calls.csv"))
    out, err = run()
    assert "Call logs: 2 files (2 ingested, 0 unchanged, 0 quarantined, 0 failed)" in out
    assert "calls:          7 (6 new, 1 already known)" in out
    assert "complaints:     3" in out
    assert "non-complaints: 3" in out
    assert "rejected rows:  2" in out
    assert "rejects of inbox/call_center/calls.jsonl: raw/call_center/" in out
    assert "calls.jsonl" in err and "calls" in err  # the tqdm bar, on stderr
    assert Message.objects.count() == 6

    out, _ = run()
    assert "Call logs: 2 files (0 ingested, 2 unchanged" in out


def test_a_dry_run_reads_and_checks_but_writes_nothing(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "calls.jsonl", fixture_bytes("calls.jsonl"))
    drop(file_lake, "junk.bin", b"\x00\x01\x02 not a call log")
    out, _ = run("--dry-run")
    assert "Dry run (nothing written): 2 files" in out
    assert "checked     canonical_jsonl" in out and "5 calls, 1 rejected" in out
    assert "quarantined" in out and "not a known call-log format" in out
    assert RawEvent.objects.count() == 0 and Message.objects.count() == 0 and classifier.batches == []
    assert list(file_lake.list("raw")) == [] and list(file_lake.list("quarantine")) == []


def test_path_takes_one_file_or_a_prefix(file_lake: Lake, classifier: KeywordClassifier) -> None:
    drop(file_lake, "site-a/calls.jsonl", fixture_bytes("calls.jsonl"))
    drop(file_lake, "site-b/calls.csv", fixture_bytes("calls.csv"))
    out, _ = run("--path", f"{INBOX}/site-b/")
    assert "1 files (1 ingested" in out
    assert {m.metadata["file"] for m in Message.objects.all()} == {f"{INBOX}/site-b/calls.csv"}


def test_a_failed_file_makes_the_command_fail_after_the_summary(file_lake: Lake, classifier: KeywordClassifier) -> None:
    row = {"call_id": "X", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": "refund please"}
    drop(file_lake, "x.jsonl", json.dumps(row).encode())
    classifier.fail_on_batch = 1
    with pytest.raises(CommandError, match="some files failed"):
        run()
    assert RawEvent.objects.get().status == RawEvent.Status.FAILED
    out, _ = run()  # the next run resumes it
    assert "1 ingested" in out and RawEvent.objects.get().status == RawEvent.Status.PROCESSED
