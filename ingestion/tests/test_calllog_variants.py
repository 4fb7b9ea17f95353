"""Call-log files as real call-centre platforms and spreadsheets export them (fixtures under
payloads/calllog_variant_*): each is read to the right calls, or rejects a row with its line and
reason, or is refused as a whole with a reason that says what to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestion.calllogs import formats
from ingestion.calllogs.job import call_logs_ingest
from ingestion.calllogs.records import CallRecord, FileFormatError, RowError, RowReject, read_timestamp
from ingestion.models import Message, RawEvent
from ingestion.tests.calllogs.helpers import LONDON, KeywordClassifier, drop
from lake import Lake

ZONE = ZoneInfo(LONDON)
PAYLOADS = Path(__file__).resolve().parent / "payloads"


def parse(name: str) -> tuple[str, list[CallRecord], list[RowReject]]:
    path = PAYLOADS / name
    fmt = formats.detect(path)
    items = list(formats.records(fmt, path, zone=ZONE))
    return (
        fmt,
        [i for i in items if isinstance(i, CallRecord)],
        [i for i in items if isinstance(i, RowReject)],
    )


def test_an_excel_csv_saved_in_windows_1252_keeps_its_pound_signs_and_accents() -> None:
    fmt, calls, rejects = parse("calllog_variant_excel_cp1252.csv")
    assert fmt == formats.CANONICAL_CSV
    assert [(c.call_id, c.line, c.duration_seconds, c.agent) for c in calls] == [
        ("F9-1001", 2, 323.0, "Zoë Ní Bhriain"),
        ("F9-1002", 3, 323.0, "Renée"),
    ]
    assert calls[0].customer_text() == "I was charged £40 twice and José in billing never rang back"
    assert calls[0].occurred_at == datetime(2025, 10, 25, 8, 15, tzinfo=UTC)  # 09:15 BST
    assert calls[1].customer_text() == "Où est ma commande?"
    assert calls[0].extra == {"campaign": "Inbound UK"}
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [(4, "timestamp")]
    assert "month must be in 1..12" in rejects[0].reason


def test_a_european_excel_export_with_two_duration_columns_takes_duration_not_talk_time() -> None:
    fmt, calls, rejects = parse("calllog_variant_genesys_semicolon.csv")
    assert fmt == formats.CANONICAL_CSV
    # The quoted transcript spans two lines: the next row starts on line 4. Empty ";;;" rows are skipped.
    assert [(c.call_id, c.line, c.duration_seconds) for c in calls] == [
        ("GEN-1", 2, 323.0),
        ("GEN-2", 4, 65.0),
        ("GEN-1", 5, 323.0),  # a duplicate within the file: parsed, stored once by the job
    ]
    first = calls[0]
    assert first.customer_text() == 'The "next day" delivery took a week; I want a refund, please.'
    assert first.occurred_at == datetime(2025, 10, 25, 14, 0, tzinfo=UTC)  # separate Date and Time columns
    assert first.extra == {
        "conversation_id": "c0ffee01-1",
        "talk_time": "4m 00s",
        "wrap_up_code": "Refund",
        "media_type": "voice",
    }
    assert calls[1].customer_text() == ""  # an empty transcript: a call without words
    assert [(r.line, r.reason) for r in rejects] == [(6, "call_duration is not a number of seconds: 'five minutes'")]


def test_a_tab_separated_flex_export_reads_iso_milliseconds_offsets_and_epochs() -> None:
    fmt, calls, rejects = parse("calllog_variant_flex.tsv")
    assert fmt == formats.CANONICAL_CSV
    assert [(c.call_id, c.occurred_at, c.duration_seconds, c.caller) for c in calls] == [
        ("CA01", datetime(2025, 10, 25, 14, 2, 11, 123000, tzinfo=UTC), 323.0, "+34600000001"),
        ("CA02", datetime(2025, 10, 25, 14, 2, 11, 500000, tzinfo=UTC), 95.5, "+34600000002"),
        ("CA03", datetime(2025, 10, 25, 14, 0, tzinfo=UTC), 323.0, "+34600000003"),
        ("CA04", datetime(2025, 10, 25, 14, 0, 0, 123000, tzinfo=UTC), 3723.0, "+34600000004"),
    ]
    assert calls[0].customer_text() == "Mi pedido no ha llegado 😡"
    assert [(r.line, r.reason) for r in rejects] == [(6, "timestamp is missing")]


def test_a_us_export_with_an_excel_sep_line_reads_month_first_am_pm_times(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_DATE_ORDER = "MDY"
    fmt, calls, rejects = parse("calllog_variant_us_mdy.csv")
    assert fmt == formats.CANONICAL_CSV
    # "sep=," is line 1 and not the header; the line numbers still count it.
    assert [(c.call_id, c.line, c.occurred_at) for c in calls] == [
        ("US-1", 3, datetime(2025, 10, 25, 13, 5, tzinfo=UTC)),
        ("US-2", 4, datetime(2025, 10, 24, 23, 15, tzinfo=UTC)),
    ]
    assert [(r.line, r.reason) for r in rejects] == [(5, "timestamp: hour 13 with PM")]


def test_json_lines_with_nested_turns_crlf_and_an_empty_transcript() -> None:
    fmt, calls, rejects = parse("calllog_variant_turns.jsonl")
    assert fmt == formats.CANONICAL_JSONL
    assert rejects == []
    assert [c.call_id for c in calls] == ["JL-1", "JL-2", "JL-3", "JL-1"]
    first = calls[0]
    assert first.customer_text() == "Mój rachunek jest błędny — £12 too much."
    assert first.turns is not None and [t.role for t in first.turns] == ["agent", "customer", "ivr"]
    assert (first.occurred_at, first.duration_seconds) == (datetime(2025, 10, 25, 13, 2, 11, tzinfo=UTC), 323.0)
    assert calls[1].customer_text() == ""
    # A turn whose text is null (silence, hold) is an empty turn, not a reason to lose the call.
    assert calls[2].turns is not None and calls[2].turns[0].text == "" and calls[2].customer_text() == ""


def test_a_csv_with_only_a_header_has_no_calls_and_no_rejects() -> None:
    assert parse("calllog_variant_header_only.csv") == (formats.CANONICAL_CSV, [], [])


def test_a_utf16_unicode_text_export_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(FileFormatError, match=r"UTF-16.*CSV UTF-8"):
        formats.detect(PAYLOADS / "calllog_variant_excel_unicode_text.txt")


@pytest.mark.parametrize(
    ("value", "zone"),
    [("31/12/9999 23:59", "America/New_York"), ("0001-01-01T00:00:00", "Asia/Tokyo")],
)
def test_a_spreadsheet_sentinel_date_out_of_range_in_utc_is_a_bad_row_not_a_crash(value: str, zone: str) -> None:
    with pytest.raises(RowError, match="out of range once converted to UTC"):
        read_timestamp(value, zone=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        ("2026-03-29 01:30:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "dst_gap"),
        ("26/10/2025 01:30", datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "dst_overlap"),
        ("2025-10-26T01:30:00+00:00", datetime(2025, 10, 26, 1, 30, tzinfo=UTC), ""),  # an offset is exact
    ],
)
def test_naive_times_on_dst_edges_say_which_instant_was_taken(value: str, expected: datetime, note: str) -> None:
    assert read_timestamp(value, zone=ZONE) == (expected, note)


@pytest.fixture
def london_job(monkeypatch: pytest.MonkeyPatch, settings) -> None:  # type: ignore[no-untyped-def]
    """The hourly job as configured for a London call centre, with a keyword classifier."""
    settings.CALL_LOG_SOURCE_TZ = LONDON
    monkeypatch.setattr("ingestion.bulk.classify_texts", KeywordClassifier())


@pytest.mark.django_db
@pytest.mark.usefixtures("london_job")
def test_the_hourly_job_ingests_a_windows_1252_export_keeps_the_raw_file_and_reports_the_bad_row(
    file_lake: Lake,
) -> None:
    body = (PAYLOADS / "calllog_variant_excel_cp1252.csv").read_bytes()
    drop(file_lake, "2025-10-25/five9.csv", body)

    (file,) = call_logs_ingest().files

    assert (file.outcome, file.calls, file.rejected) == ("ingested", 2, 1)
    stored = {m.external_id: m for m in Message.objects.filter(source="call_center")}
    assert set(stored) == {"F9-1001", "F9-1002"}
    assert "£40" in stored["F9-1001"].text
    event = RawEvent.objects.get(source="call_center")
    assert file_lake.read(event.lake_key) == body  # the bytes as received, not re-encoded
    (reject,) = [json.loads(line) for line in file_lake.read(file.rejects_key).decode().splitlines()]
    assert reject["line"] == 4 and reject["reason"].startswith("timestamp:")


@pytest.mark.django_db
@pytest.mark.usefixtures("london_job")
def test_a_call_repeated_within_an_export_is_stored_once(file_lake: Lake) -> None:
    drop(file_lake, "2025-10-25/genesys.csv", (PAYLOADS / "calllog_variant_genesys_semicolon.csv").read_bytes())

    (file,) = call_logs_ingest().files

    assert (file.outcome, file.calls, file.new_calls, file.duplicates, file.rejected) == ("ingested", 3, 2, 1, 1)
    first = Message.objects.get(source="call_center", external_id="GEN-1")
    assert "next day" in first.text  # the first row wins; the later copy does not overwrite it


def test_five9_call_time_beside_date_and_time_columns_is_the_calls_length_not_its_start(tmp_path: Path) -> None:
    # Five9's call log report: DATE and TIME give the start, CALL TIME (hh:mm:ss) the length.
    path = tmp_path / "five9.csv"
    path.write_text(
        "CALL ID,DATE,TIME,CALL TIME,TRANSCRIPT\r\n"
        "F9-77,2025/10/25,09:15:00,00:05:23,my router has been dropping out every evening\r\n"
    )
    items = list(formats.records(formats.detect(path), path, zone=ZONE))
    calls = [item for item in items if isinstance(item, CallRecord)]
    assert [item for item in items if isinstance(item, RowReject)] == []
    assert [(c.call_id, c.duration_seconds, c.occurred_at) for c in calls] == [
        ("F9-77", 323.0, datetime(2025, 10, 25, 8, 15, tzinfo=UTC))  # 09:15 BST
    ]


def test_call_time_alone_is_still_the_start_time(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("call_id,call_time,duration,transcript\nC-1,2025-10-25T09:15:00Z,60,hello\n")
    calls = [i for i in formats.records(formats.detect(path), path, zone=ZONE) if isinstance(i, CallRecord)]
    assert [(c.occurred_at, c.duration_seconds) for c in calls] == [(datetime(2025, 10, 25, 9, 15, tzinfo=UTC), 60.0)]
