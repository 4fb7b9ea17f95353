"""A large file fanned out to chunks in forked processes (ingestion/calllogs/fanout.py).

Transactional tests: the chunks write through their own connections, which only see committed
rows. The stand-in classifier is inherited by the forked processes; it notes in a file which
process classified what, since their memory is not the test's.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from classification.services import Prediction
from ingestion.calllogs.job import call_logs_ingest
from ingestion.models import Message, RawEvent
from ingestion.tests.calllogs.helpers import INBOX, KeywordClassifier, drop
from lake import Lake
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = 60
BAD_LINES = {5: "timestamp", 18: "json", 41: "call_id"}  # one in the first chunk, two further on
REPEATS = {33: 3, 52: 34}  # line -> the earlier line whose call it repeats (other chunks)


class LoggingClassifier(KeywordClassifier):
    """Notes "<pid>\\t<text>" for every text it classifies; can crash once, in whichever process."""

    def __init__(self, log: Path, *, crash_on: str = "", hard: bool = False) -> None:
        super().__init__()
        self.log, self.crash_on, self.hard = log, crash_on, hard

    def __call__(self, texts: Sequence[str]) -> list[Prediction]:
        if self.crash_on and any(self.crash_on in t for t in texts) and _first_time(self.log.with_suffix(".crashed")):
            if self.hard:
                os._exit(3)  # the process dies: no exception, no clean-up
            raise RuntimeError("simulated crash in one chunk")
        with open(self.log, "a", encoding="utf-8") as out:
            out.writelines(f"{os.getpid()}\t{t}\n" for t in texts)
        return super().__call__(texts)

    def pids(self) -> set[int]:
        return {pid for pid, _ in self.entries()}

    def entries(self) -> list[tuple[int, str]]:
        if not self.log.exists():
            return []
        return [(int(pid), text) for pid, text in (line.split("\t", 1) for line in self.log.read_text().splitlines())]


def _first_time(flag: Path) -> bool:
    try:
        os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@pytest.fixture(autouse=True)
def _small_chunks(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_PROCESSES = 2
    settings.CALL_LOG_CHUNK_LINES = 7
    settings.CALL_LOG_BATCH_SIZE = 4
    settings.CALL_LOG_SOURCE_TZ = "Europe/London"


@pytest.fixture
def classifier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoggingClassifier:
    fake = LoggingClassifier(tmp_path / "classified.log")
    monkeypatch.setattr("ingestion.bulk.classify_texts", fake)
    return fake


def call_line(line: int, *, marker: str = "") -> str:
    if line in BAD_LINES:
        kind = BAD_LINES[line]
        if kind == "json":
            return '{"call_id": "CUT-OFF", "timestamp": '
        row: dict[str, Any] = {"call_id": f"F-{line:03d}", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 5}
        if kind == "timestamp":
            row["timestamp"] = "last Tuesday"
        else:
            row["call_id"] = ""
        row["transcript"] = "Customer: hello"
        return json.dumps(row)
    same = REPEATS.get(line, line)
    words = "I was charged twice, refund me" if same % 3 == 0 else "thanks, all good"
    text = f"Call {same} (line {line}) {marker}: {words}"
    return json.dumps(
        {
            "call_id": f"F-{same:03d}",
            "timestamp": "2025-10-25T10:00:00Z",
            "call_duration": line,
            "caller": f"+4420790{same:05d}",
            "transcript": [{"speaker": "agent", "text": "How can I help?"}, {"speaker": "customer", "text": text}],
        }
    )


def big_file(*, marker_line: int = 0) -> bytes:
    lines = [call_line(n, marker="BOOM" if n == marker_line else "") for n in range(1, CALLS + 1)]
    return ("\n".join(lines) + "\n").encode()


def stored_rows() -> dict[str, Any]:
    messages = sorted(
        Message.objects.filter(source="call_center").values_list(
            "external_id", "provider", "text", "status", "is_complaint", "not_complaint_reason",
            "predicted_category", "complaint_confidence", "model_version", "occurred_at", "customer_handle",
            "contact_phone", "metadata",
        )
    )  # fmt: skip
    complaints = sorted(
        Complaint.objects.values_list("external_id", "text", "category", "status", "channel", "provider")
    )
    return {"messages": messages, "complaints": complaints}


def read_rejects(lake: Lake, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lake.read(key).decode().splitlines()]


def forget_everything() -> None:
    Complaint.objects.all().delete()
    Message.objects.all().delete()
    RawEvent.objects.all().delete()


def test_fanned_out_the_file_gives_exactly_the_rows_of_the_single_process_path(
    file_lake: Lake, classifier: LoggingClassifier, settings
) -> None:
    drop(file_lake, "big.jsonl", big_file())
    (fanned,) = call_logs_ingest().files
    pids = {pid for pid, _ in classifier.entries()}
    # Classified in the forked processes only (which of the two takes which chunk is the pool's business).
    assert pids and os.getpid() not in pids and len(pids) <= 2
    fanned_rows, fanned_rejects = stored_rows(), read_rejects(file_lake, fanned.rejects_key)
    event = RawEvent.objects.get()
    assert event.meta["progress"]["chunks_done"] == 9 and event.meta["progress"]["line"] == CALLS

    forget_everything()
    settings.CALL_LOG_PROCESSES = 1
    classifier.log.unlink()
    (single,) = call_logs_ingest().files
    assert {pid for pid, _ in classifier.entries()} == {os.getpid()}

    assert stored_rows() == fanned_rows
    assert read_rejects(file_lake, single.rejects_key) == fanned_rejects
    counts = ("calls", "new_calls", "duplicates", "complaints", "non_complaints", "rejected")
    assert [getattr(fanned, c) for c in counts] == [getattr(single, c) for c in counts] == [57, 55, 2, 18, 37, 3]
    # A repeated call keeps its first copy, whichever chunk finished first.
    assert "(line 3)" in Message.objects.get(external_id="F-003").text


def test_rejects_from_every_chunk_keep_their_file_line_numbers_in_order(
    file_lake: Lake, classifier: LoggingClassifier
) -> None:
    drop(file_lake, "big.jsonl", big_file())
    (file,) = call_logs_ingest().files
    rejects = read_rejects(file_lake, file.rejects_key)
    assert [r["line"] for r in rejects] == sorted(BAD_LINES) == [5, 18, 41]
    assert rejects[0]["reason"].startswith("timestamp: ") and "'last Tuesday'" in rejects[0]["reason"]
    assert rejects[1]["reason"].startswith("not valid JSON") and "CUT-OFF" in rejects[1]["content"]
    assert rejects[2]["reason"] == "call_id is missing"
    assert [r["line"] for r in RawEvent.objects.get().meta["first_rejects"]] == [5, 18, 41]


@pytest.mark.parametrize("hard", [False, True], ids=["chunk raises", "chunk process dies"])
def test_a_crash_in_one_chunk_fails_the_file_and_the_next_run_resumes_it_without_duplicates(
    file_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard: bool
) -> None:
    classifier = LoggingClassifier(tmp_path / "classified.log", crash_on="BOOM", hard=hard)
    monkeypatch.setattr("ingestion.bulk.classify_texts", classifier)
    drop(file_lake, "big.jsonl", big_file(marker_line=38))  # the sixth chunk of nine

    (first,) = call_logs_ingest().files
    assert first.outcome == "failed"
    assert ("simulated crash" in first.error) if not hard else ("BrokenProcessPool" in first.error)
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.FAILED and event.attempts == 1
    assert Message.objects.filter(external_id="F-038").count() == 0
    before = Message.objects.count()
    assert 0 < before < 55

    resumed, scanned = call_logs_ingest().files
    assert (resumed.outcome, scanned.outcome) == ("ingested", "unchanged")
    event.refresh_from_db()
    assert event.status == RawEvent.Status.PROCESSED and event.attempts == 2
    ids = list(Message.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == 55
    assert not Message.objects.filter(status=Message.Status.NEW).exists()
    assert Complaint.objects.count() == 18 == Complaint.objects.values("external_id").distinct().count()
    assert [r["line"] for r in read_rejects(file_lake, resumed.rejects_key)] == [5, 18, 41]
    assert event.meta["counts"]["messages_recorded"] == 55
    if not hard:  # nothing stored by the first run was classified again
        texts = [text for _, text in classifier.entries()]
        assert len(texts) == len(set(texts))


def test_the_command_shows_progress_and_the_summary_of_a_fanned_out_file(
    file_lake: Lake, classifier: LoggingClassifier
) -> None:
    drop(file_lake, "big.jsonl", big_file())
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_call_logs", stdout=out, stderr=err)
    assert "Call logs: 1 files (1 ingested, 0 unchanged, 0 quarantined, 0 failed)" in out.getvalue()
    assert "calls:          57 (55 new, 2 already known)" in out.getvalue()
    assert "complaints:     18" in out.getvalue() and "rejected rows:  3" in out.getvalue()
    assert "big.jsonl" in err.getvalue() and "60/60" in err.getvalue()  # the bar reached the last line


def test_on_the_s3_server_the_inbox_fans_out_like_the_one_on_disk(s3_lake: Lake, classifier: LoggingClassifier) -> None:
    drop(s3_lake, "big.jsonl", big_file())
    (file,) = call_logs_ingest().files
    assert (file.outcome, file.calls, file.new_calls, file.rejected) == ("ingested", 57, 55, 3)
    assert classifier.pids() and os.getpid() not in classifier.pids()
    assert [r["line"] for r in read_rejects(s3_lake, file.rejects_key)] == [5, 18, 41]
    assert Message.objects.count() == 55 and Complaint.objects.count() == 18
    assert [f.outcome for f in call_logs_ingest().files] == ["unchanged"]


def test_a_small_file_a_compressed_one_or_a_csv_stays_in_one_process(
    file_lake: Lake, classifier: LoggingClassifier, settings
) -> None:
    settings.CALL_LOG_CHUNK_LINES = 1000
    drop(file_lake, "a-small.jsonl", big_file())
    call_logs_ingest()
    assert {pid for pid, _ in classifier.entries()} == {os.getpid()}
    settings.CALL_LOG_CHUNK_LINES = 7
    drop(file_lake, "b-packed.jsonl.gz", big_file().replace(b"F-", b"G-"), gzipped=True)
    classifier.log.unlink()
    (_, packed) = call_logs_ingest().files
    assert packed.new_calls == 55 and {pid for pid, _ in classifier.entries()} == {os.getpid()}
    assert RawEvent.objects.filter(meta__inbox_key=f"{INBOX}/b-packed.jsonl.gz").get().meta["progress"]["line"] == 60


@pytest.mark.slow
def test_the_hourly_beat_entry_on_a_real_worker_fans_a_large_file_out(real_worker: None) -> None:
    """Beat -> Redis -> a `celery worker` process -> the job, which forks its chunk processes.

    The worker runs with the default settings (chunks of 5,000 lines: 3 chunks) and the real classifier.
    """
    from django_celery_beat.schedulers import DatabaseScheduler

    from complaintsite.celery import app as celery_app
    from conftest import wait_for
    from ingestion.calllogs.schedule import call_log_schedule_ensure
    from lake import get_lake

    rows = (
        json.dumps(
            {
                "call_id": f"W-{n:05d}",
                "timestamp": "2025-10-25T10:00:00Z",
                "call_duration": 30,
                "transcript": f"Agent: Hello.\nCustomer: {'my parcel is late again' if n % 4 else 'thanks'} ({n})",
            }
        )
        for n in range(1, 12_001)
    )
    drop(get_lake(), "fanout/big.jsonl", ("\n".join(rows) + "\n").encode())
    task, _ = call_log_schedule_ensure()
    scheduler = DatabaseScheduler(app=celery_app)
    scheduler.apply_entry(scheduler.schedule[task.name], producer=None)
    wait_for(
        lambda: RawEvent.objects.filter(
            meta__inbox_key=f"{INBOX}/fanout/big.jsonl", status=RawEvent.Status.PROCESSED
        ).exists(),
        timeout=240,
    )
    event = RawEvent.objects.get(meta__inbox_key=f"{INBOX}/fanout/big.jsonl")
    assert event.meta["progress"]["chunks_done"] == 3 and event.meta["counts"]["messages_recorded"] == 12_000
    calls = Message.objects.filter(external_id__startswith="W-")
    assert calls.count() == 12_000 and not calls.filter(is_complaint__isnull=True).exists()
    assert (
        calls.filter(status=Message.Status.COMPLAINT).count()
        == Complaint.objects.filter(external_id__startswith="W-").count()
    )


def test_a_celery_prefork_pool_process_a_daemon_may_fan_out_too(
    file_lake: Lake, classifier: LoggingClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    # What a prefork pool process looks like to multiprocessing (which refuses daemons children).
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)  # type: ignore[attr-defined]
    drop(file_lake, "big.jsonl", big_file())
    (file,) = call_logs_ingest().files
    assert (file.outcome, file.new_calls) == ("ingested", 55)
    assert classifier.pids() and os.getpid() not in classifier.pids()
    assert multiprocessing.current_process()._config["daemon"] is True  # type: ignore[attr-defined]
