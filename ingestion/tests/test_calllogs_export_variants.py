"""Canonical call logs as real exports write them: other column names, separators, dates and durations.

The documented format stays the reference (docs/call-logs.md); these are the variations a
call-centre tool's export brings without anyone editing the file first.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestion.calllogs import canonical, formats
from ingestion.calllogs.job import call_logs_ingest
from ingestion.calllogs.records import CallRecord, RowError, RowReject, read_duration, read_timestamp
from ingestion.models import Message
from ingestion.tests.calllogs.helpers import LONDON, KeywordClassifier, drop
from lake import Lake

ZONE = ZoneInfo(LONDON)


def split(items: list[CallRecord | RowReject]) -> tuple[list[CallRecord], list[RowReject]]:
    return [i for i in items if isinstance(i, CallRecord)], [i for i in items if isinstance(i, RowReject)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (252, 252.0),
        ("252", 252.0),
        ("252.5", 252.5),
        ("0:04:12", 252.0),
        ("1:02:03", 3723.0),
        ("04:12", 252.0),
        ("75:30", 4530.0),
        ("252s", 252.0),
        ("252 sec", 252.0),
        ("4m 12s", 252.0),
        ("1h 2min 3s", 3723.0),
    ],
)
def test_durations_in_the_forms_exports_write_are_seconds(value: object, seconds: float) -> None:
    assert read_duration(value) == seconds


@pytest.mark.parametrize("value", ["four minutes", "4:7", "12:34:56:78", "-5", "1e9"])
def test_durations_that_are_not_durations_are_rejected(value: str) -> None:
    with pytest.raises(RowError, match="call_duration"):
        read_duration(value)


@pytest.mark.parametrize(
    ("value", "order", "expected", "note"),
    [
        ("25/03/2025 14:05", "DMY", datetime(2025, 3, 25, 14, 5, tzinfo=UTC), ""),  # GMT in March
        ("25.07.2025 14:05:30", "DMY", datetime(2025, 7, 25, 13, 5, 30, tzinfo=UTC), ""),  # BST
        ("07/25/2025 2:05 PM", "MDY", datetime(2025, 7, 25, 13, 5, tzinfo=UTC), ""),
        ("07/25/2025 12:15 am", "MDY", datetime(2025, 7, 24, 23, 15, tzinfo=UTC), ""),
        ("2025/07/25 14:05", "DMY", datetime(2025, 7, 25, 13, 5, tzinfo=UTC), ""),  # year first is never ambiguous
        ("26/10/2025 01:30", "DMY", datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "dst_overlap"),
        ("29/03/2026 01:30", "DMY", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "dst_gap"),
        (1761400800, "DMY", datetime(2025, 10, 25, 14, 0, tzinfo=UTC), ""),  # epoch seconds
        (1761400800000, "DMY", datetime(2025, 10, 25, 14, 0, tzinfo=UTC), ""),  # epoch milliseconds
        ("1761400800", "DMY", datetime(2025, 10, 25, 14, 0, tzinfo=UTC), ""),
        ("Sat, 25 Oct 2025 15:00:00 +0100", "DMY", datetime(2025, 10, 25, 14, 0, tzinfo=UTC), ""),
    ],
)
def test_timestamps_in_the_forms_exports_write(value: object, order: str, expected: datetime, note: str) -> None:
    assert read_timestamp(value, zone=ZONE, date_order=order) == (expected, note)


def test_an_impossible_numeric_date_says_how_it_was_read() -> None:
    with pytest.raises(RowError, match="not a date read as day/month/year"):
        read_timestamp("07/25/2025 14:05", zone=ZONE, date_order="DMY")


def test_a_semicolon_csv_with_an_export_header_is_read_like_the_canonical_one(tmp_path: Path) -> None:
    body = (
        "\ufeffCall ID;Start Time;Duration;Transcript;Agent Name;Caller ID\r\n"
        "C-1;25/10/2025 15:00;0:04:12;Customer: My router keeps dropping out, third time this week;"
        "a.smith;07700900123\r\n"
        'C-2;25/10/2025 15:10;95;"Agent: Hello\nCustomer: Can I change my address?";b.jones;07700900456\r\n'
        "C-3;tomorrow;95;Customer: hi;b.jones;07700900789\r\n"
    ).encode()
    calls, rejects = split(list(canonical.parse_csv(io.BytesIO(body), zone=ZONE)))
    assert [(c.call_id, c.duration_seconds, c.agent, c.caller) for c in calls] == [
        ("C-1", 252.0, "a.smith", "07700900123"),
        ("C-2", 95.0, "b.jones", "07700900456"),
    ]
    assert calls[0].occurred_at == datetime(2025, 10, 25, 14, 0, tzinfo=UTC)
    assert calls[0].customer_text() == "My router keeps dropping out, third time this week"
    assert calls[1].customer_text() == "Can I change my address?"
    assert [(r.line, r.reason.split(" (")[0]) for r in rejects] == [(5, "timestamp: not a date and time: 'tomorrow'")]

    path = tmp_path / "export.csv"
    path.write_bytes(body)
    assert formats.detect(path) == formats.CANONICAL_CSV


def test_tab_separated_with_separate_date_and_time_columns() -> None:
    body = (
        b"call_id\tdate\ttime\tcall_duration\ttranscript\nT-1\t2025-10-25\t15:00:00\t60\tCustomer: where is my parcel\n"
    )
    (call,) = canonical.parse_csv(io.BytesIO(body), zone=ZONE)
    assert isinstance(call, CallRecord)
    assert call.occurred_at == datetime(2025, 10, 25, 14, 0, tzinfo=UTC)
    assert call.customer_text() == "where is my parcel"


def test_json_lines_with_camel_case_keys_and_an_epoch_timestamp(tmp_path: Path) -> None:
    row = {"callId": "J-1", "startTime": 1761400800, "callDuration": "02:00", "transcript": "Customer: refund please"}
    (call,) = canonical.parse_jsonl(io.BytesIO(json.dumps(row).encode() + b"\n"), zone=ZONE)
    assert isinstance(call, CallRecord)
    assert (call.call_id, call.duration_seconds, call.occurred_at) == (
        "J-1",
        120.0,
        datetime(2025, 10, 25, 14, 0, tzinfo=UTC),
    )
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(row) + "\n")
    assert formats.detect(path) == formats.CANONICAL_JSONL


def test_a_header_without_the_required_columns_names_them() -> None:
    with pytest.raises(Exception, match="lacks call_duration"):
        list(canonical.parse_csv(io.BytesIO(b"Call ID;Start Time;Transcript\nA;25/10/2025 10:00;x\n"), zone=ZONE))


def array_export() -> bytes:
    calls = [
        {"call_id": "A-1", "timestamp": "2025-10-25T15:00:00+01:00", "call_duration": 30, "transcript": "x"},
        {"call_id": "A-2", "timestamp": "2025-10-25T15:05:00+01:00", "call_duration": "bad", "transcript": "x"},
        {"call_id": "A-3", "timestamp": "2025-10-25T15:09:00+01:00", "call_duration": 42, "transcript": "y"},
    ]
    return json.dumps(calls, indent=2).encode()


def test_a_json_array_export_is_read_element_by_element_with_bad_elements_rejected(tmp_path: Path) -> None:
    items = list(canonical.parse_json_array(io.BytesIO(array_export()), zone=ZONE))
    calls, rejects = split(items)
    assert [c.call_id for c in calls] == ["A-1", "A-3"]
    assert [(r.record, r.reason) for r in rejects] == [(2, "call_duration is not a number of seconds: 'bad'")]
    assert rejects[0].line == 8  # where the element starts in the pretty-printed file

    path = tmp_path / "export.json"
    path.write_bytes(array_export())
    assert formats.detect(path) == formats.CANONICAL_JSON_ARRAY


def test_a_broken_element_in_an_array_is_rejected_and_reading_goes_on() -> None:
    body = (
        b'[\n  {"call_id": "B-1", "timestamp": 1761400800, "call_duration": 1, "transcript": "a"},\n'
        b'  {"call_id": \n'
        b'  ,{"call_id": "B-3", "timestamp": 1761400800, "call_duration": 1, "transcript": "c"}\n]\n'
    )
    calls, rejects = split(list(canonical.parse_json_array(io.BytesIO(body), zone=ZONE)))
    assert [c.call_id for c in calls] == ["B-1", "B-3"]
    assert len(rejects) == 1 and rejects[0].reason.startswith("not valid JSON")


@pytest.mark.django_db
def test_the_hourly_job_ingests_a_json_array_export(file_lake: Lake, monkeypatch: pytest.MonkeyPatch, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_SOURCE_TZ = LONDON
    monkeypatch.setattr("ingestion.bulk.classify_texts", KeywordClassifier())
    drop(file_lake, "2025-10-25/export.json", array_export())

    summary = call_logs_ingest()

    (file,) = summary.files
    assert (file.outcome, file.format, file.calls, file.rejected) == ("ingested", "canonical_json_array", 2, 1)
    assert sorted(Message.objects.filter(source="call_center").values_list("external_id", flat=True)) == [
        "A-1",
        "A-3",
    ]


# --- text transcripts as exports write them -----------------------------------------------------
@pytest.mark.parametrize(
    ("transcript", "customer"),
    [
        # One line: the export flattened the conversation.
        (
            "Agent: Acme, how can I help? Customer: My bill is wrong again. Agent: Let me look. "
            "Customer: Thanks, it's the third time I've called.",
            "My bill is wrong again.\nThanks, it's the third time I've called.",
        ),
        # Clock times before the labels, and upper case.
        (
            "[00:00:02] AGENT: Good morning.\n[00:00:05] CUSTOMER: The app won't let me log in.\n"
            "[00:00:09] AGENT: Sorry to hear that.",
            "The app won't let me log in.",
        ),
        ("00:02 - Agent: hi\n00:04 - Caller: parcel never came", "parcel never came"),
        # Numbered or named speakers.
        ("Agent 1: Hello.\nCustomer (Jane Doe): I was overcharged.", "I was overcharged."),
        # A turn running over several lines.
        (
            "Customer: The engineer never came\nand nobody rang me.\nAgent: I'm sorry.",
            "The engineer never came and nobody rang me.",
        ),
        # Not labels: a colon inside a sentence.
        ("I told the agent: no more excuses. Fix it.", "I told the agent: no more excuses. Fix it."),
        ("Note: my order 1234 is late", "Note: my order 1234 is late"),
    ],
)
def test_text_transcripts_split_into_turns_as_exports_write_them(transcript: str, customer: str) -> None:
    row = {"call_id": "X", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": transcript}
    (call,) = canonical.parse_jsonl(io.BytesIO(json.dumps(row).encode() + b"\n"), zone=ZONE)
    assert isinstance(call, CallRecord)
    assert call.customer_text() == customer
