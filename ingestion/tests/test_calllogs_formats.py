"""Each call-log format, read from its bytes: calls, the customer's words, and rows rejected with their line."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestion.calllogs import asterisk, canonical, connect, formats
from ingestion.calllogs.records import CallRecord, FileFormatError, RowReject
from ingestion.tests.calllogs.helpers import LONDON, fixture_bytes

ZONE = ZoneInfo(LONDON)
CONTACT = "a7f3c2e1-5b4d-4c9a-8e7f-0d1c2b3a4f5e"


def split(items: list[CallRecord | RowReject]) -> tuple[list[CallRecord], list[RowReject]]:
    return [i for i in items if isinstance(i, CallRecord)], [i for i in items if isinstance(i, RowReject)]


def jsonl(*rows: object) -> io.BytesIO:
    return io.BytesIO("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode())


# --- canonical JSON Lines -----------------------------------------------------------------------
def test_canonical_jsonl_reads_every_call_and_rejects_the_bad_row_in_the_middle_by_line() -> None:
    calls, rejects = split(list(canonical.parse_jsonl(io.BytesIO(fixture_bytes("calls.jsonl")), zone=ZONE)))
    assert [c.call_id for c in calls] == ["CALL-1001", "CALL-1002", "CALL-1004", "CALL-1001", "CALL-1005"]
    assert [(r.line, r.reason) for r in rejects] == [
        (
            3,
            "timestamp: not a date and time: 'yesterday afternoon' "
            "(expected ISO-8601, epoch seconds, RFC 2822 or dd/mm/yyyy hh:mm)",
        )
    ]
    assert '"CALL-1003"' in rejects[0].content


def test_the_customer_side_of_a_list_of_turns_is_what_gets_classified() -> None:
    first = next(canonical.parse_jsonl(io.BytesIO(fixture_bytes("calls.jsonl")), zone=ZONE))
    assert isinstance(first, CallRecord)
    assert first.customer_text() == "I was charged twice for order 48213 and nobody has refunded me.\nThank you."
    assert first.turns is not None
    assert [t.role for t in first.turns] == ["agent", "customer", "agent", "customer"]
    assert first.occurred_at == datetime(2025, 10, 25, 13, 2, 11, tzinfo=UTC)
    assert (first.caller, first.agent, first.queue, first.duration_seconds) == (
        "+447700900123",
        "j.ahmed",
        "Billing",
        412,
    )


def test_a_labelled_text_transcript_is_split_into_turns_and_an_unlabelled_one_is_all_customer() -> None:
    calls, _ = split(list(canonical.parse_jsonl(io.BytesIO(fixture_bytes("calls.jsonl")), zone=ZONE)))
    labelled, unlabelled = calls[1], calls[2]
    assert labelled.customer_text() == "Hi, what time does the Leeds store open on Sunday?\nLovely, thanks."
    assert unlabelled.customer_text().startswith("The kettle I bought last week arrived broken")
    assert unlabelled.turns is None


def test_a_caller_speaker_counts_as_the_customer_and_an_ivr_does_not() -> None:
    calls, _ = split(list(canonical.parse_jsonl(io.BytesIO(fixture_bytes("calls.jsonl")), zone=ZONE)))
    assert calls[-1].customer_text() == "Just calling to say the engineer was brilliant today."
    assert calls[-1].extra == {"crm_ticket": "T-778"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": "x"}, "call_id is missing"),
        ({"call_id": "A", "call_duration": 1, "transcript": "x"}, "timestamp is missing"),
        ({"call_id": "A", "timestamp": "2025-10-25T10:00:00Z", "transcript": "x"}, "call_duration is missing"),
        (
            {"call_id": "A", "timestamp": "2025-10-25T10:00:00Z", "call_duration": -4, "transcript": "x"},
            "call_duration out of range: -4",
        ),
        ({"call_id": "A", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1}, "transcript is missing"),
        (
            {"call_id": "A", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": [{"speaker": 1}]},
            "transcript turn 1: speaker and text must be text",
        ),
        (
            {"call_id": "A", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": 7},
            "transcript must be text or a list of turns with speaker and text",
        ),
    ],
)
def test_a_row_with_a_wrong_field_is_rejected_with_the_reason(row: dict[str, object], reason: str) -> None:
    items = list(canonical.parse_jsonl(jsonl(row), zone=ZONE))
    assert items == [RowReject(line=1, reason=reason, content=json.dumps(row))]


def test_lines_that_are_not_json_objects_or_not_utf8_are_rejected_alone() -> None:
    good = {"call_id": "OK", "timestamp": "2025-10-25T10:00:00Z", "call_duration": 1, "transcript": "hi"}
    stream = io.BytesIO(
        b'{"call_id": \n' + b"[1, 2]\n" + b"\n" + b'{"call_id": "\xff\xfe"}\n' + json.dumps(good).encode()
    )
    calls, rejects = split(list(canonical.parse_jsonl(stream, zone=ZONE)))
    assert [c.call_id for c in calls] == ["OK"]
    assert [(r.line, r.reason.split(":")[0].split(" (")[0]) for r in rejects] == [
        (1, "not valid JSON"),
        (2, "a line must be a JSON object"),
        (4, "not valid UTF-8"),
    ]


# --- canonical CSV -----------------------------------------------------------------------------
def test_canonical_csv_with_a_multi_line_transcript_reports_rows_by_their_first_line() -> None:
    calls, rejects = split(list(canonical.parse_csv(io.BytesIO(fixture_bytes("calls.csv")), zone=ZONE)))
    assert [c.call_id for c in calls] == ["CSV-1", "CSV-3"]
    assert calls[0].customer_text() == "My broadband has been down since Monday and I want a refund."
    assert calls[0].line == 2
    assert [(r.line, r.reason) for r in rejects] == [(4, "call_duration is not a number of seconds: 'not-a-number'")]
    # A cell may carry the list of turns as JSON.
    assert calls[1].customer_text() == "Do you sell gift cards?" and calls[1].queue == "Sales"


def test_a_csv_row_with_the_wrong_number_of_fields_is_rejected() -> None:
    body = (
        b"call_id,timestamp,call_duration,transcript\n"
        b"A,2025-10-25T10:00:00Z,5,hello,extra\n"
        b"B,2025-10-25T10:00:00Z,5,hi\n"
    )
    calls, rejects = split(list(canonical.parse_csv(io.BytesIO(body), zone=ZONE)))
    assert [c.call_id for c in calls] == ["B"]
    assert [(r.line, r.reason) for r in rejects] == [(2, "expected 4 fields, found 5")]


def test_a_csv_without_the_required_header_is_a_file_error() -> None:
    with pytest.raises(FileFormatError, match="lacks call_duration, transcript"):
        list(canonical.parse_csv(io.BytesIO(b"call_id,timestamp\nA,2025-10-25T10:00:00Z\n"), zone=ZONE))


# --- time zones ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("timestamp", "expected", "note"),
    [
        ("2025-07-01 12:00:00", datetime(2025, 7, 1, 11, 0, tzinfo=UTC), ""),  # naive: summer time
        ("2025-12-01 12:00:00", datetime(2025, 12, 1, 12, 0, tzinfo=UTC), ""),  # naive: winter time
        ("2025-07-01T12:00:00-04:00", datetime(2025, 7, 1, 16, 0, tzinfo=UTC), ""),  # an offset wins
        ("2026-03-29 01:30:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "dst_gap"),  # never happened
        ("2025-10-26 01:30:00", datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "dst_overlap"),  # happened twice
    ],
)
def test_naive_times_take_the_source_zone_with_dst_gaps_and_overlaps_made_explicit(
    timestamp: str, expected: datetime, note: str
) -> None:
    row = {"call_id": "T", "timestamp": timestamp, "call_duration": 1, "transcript": "x"}
    (record,) = canonical.parse_jsonl(jsonl(row), zone=ZONE)
    assert isinstance(record, CallRecord)
    assert (record.occurred_at, record.time_note) == (expected, note)


# --- Amazon Connect ----------------------------------------------------------------------------
def ctr(contact: str, updated: str, **extra: object) -> dict[str, object]:
    record = json.loads(fixture_bytes("connect_ctr.json"))
    record.update(ContactId=contact, LastUpdateTimestamp=updated, **extra)
    return record


def opener(data: bytes):  # type: ignore[no-untyped-def]
    return lambda: io.BytesIO(data)


def test_the_example_contact_trace_record_is_one_call() -> None:
    (record,) = connect.parse_ctr(opener(fixture_bytes("connect_ctr.json")))
    assert isinstance(record, CallRecord)
    assert record.call_id == CONTACT
    assert record.occurred_at == datetime(2025, 10, 25, 13, 2, 11, tzinfo=UTC)
    assert record.duration_seconds == 462
    assert (record.caller, record.agent, record.queue) == ("+447700900123", "j.ahmed", "Complaints")
    assert record.version == "2025-10-25T13:12:21+00:00"
    assert record.turns is None and record.extra["ctr"]["Attributes"]["orderNumber"] == "48213"


def test_firehose_records_concatenated_without_a_delimiter_are_each_read() -> None:
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
    body = b"".join(json.dumps(ctr(i, "2025-10-25T13:12:21Z"), separators=(",", ":")).encode() for i in ids)
    assert b"}{" in body and b"\n" not in body
    assert [r.call_id for r in connect.parse_ctr(opener(body))] == ids  # type: ignore[union-attr]


def test_records_larger_than_a_read_chunk_are_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connect, "CHUNK", 64)  # every record spans several reads
    ids = [f"00000000-0000-4000-8000-00000000001{i}" for i in range(4)]
    body = b"\n".join(json.dumps(ctr(i, "2025-10-25T13:12:21Z")).encode() for i in ids)
    assert [r.call_id for r in connect.parse_ctr(opener(body))] == ids  # type: ignore[union-attr]


def test_a_contact_delivered_twice_keeps_the_latest_last_update_timestamp() -> None:
    contact = "00000000-0000-4000-8000-000000000aaa"
    body = b"".join(
        json.dumps(r).encode()
        for r in (
            ctr(contact, "2025-10-25T13:12:21Z", Attributes={"v": "first"}),
            ctr(contact, "2025-10-25T13:20:00Z", Attributes={"v": "latest"}),
            ctr(contact, "2025-10-25T13:15:00Z", Attributes={"v": "middle"}),
        )
    )
    (record,) = connect.parse_ctr(opener(body))
    assert isinstance(record, CallRecord)
    assert record.extra["ctr"]["Attributes"] == {"v": "latest"}
    assert record.version == "2025-10-25T13:20:00+00:00"


def test_a_malformed_record_between_good_ones_is_rejected_and_reading_goes_on() -> None:
    good = [json.dumps(ctr(f"00000000-0000-4000-8000-00000000002{i}", "2025-10-25T13:12:21Z")) for i in range(2)]
    body = (good[0] + '\n{"ContactId": "broken", "InitiationTimestamp": ,}\n' + good[1] + "\n").encode()
    calls, rejects = split(list(connect.parse_ctr(opener(body))))
    assert len(calls) == 2
    assert [(r.line, r.record) for r in rejects] == [(2, 2)]
    assert rejects[0].reason.startswith("not valid JSON")


def test_a_record_without_initiation_timestamp_is_rejected() -> None:
    record = ctr("00000000-0000-4000-8000-000000000031", "2025-10-25T13:12:21Z", InitiationTimestamp=None)
    (reject,) = connect.parse_ctr(opener(json.dumps(record).encode()))
    assert isinstance(reject, RowReject) and reject.reason == "InitiationTimestamp is missing"


def test_contact_lens_output_gives_the_contact_and_its_turns_with_roles() -> None:
    document = connect.read_transcript_document(io.BytesIO(fixture_bytes("contact_lens_analysis.json")))
    transcript = connect.parse_contact_lens(document)
    assert transcript.contact_id == CONTACT and not transcript.redacted
    record = CallRecord(call_id=CONTACT, occurred_at=datetime.now(UTC), line=1, turns=transcript.turns)
    assert record.customer_text() == (
        "I was charged twice for order four eight two one three and nobody has refunded me.\n"
        "Okay, thank you. How long will it take?"
    )


def test_a_call_analytics_output_is_matched_by_the_contact_id_in_its_job_name_or_file_name() -> None:
    document = json.loads(fixture_bytes("tca_output.json"))
    by_job = connect.parse_call_analytics(document, file_name="whatever.json")
    assert by_job.contact_id == "c0ffee00-1234-4abc-8def-0123456789ab"
    assert [t.role for t in by_job.turns] == ["agent", "customer", "agent"]
    del document["JobName"]
    by_file = connect.parse_call_analytics(document, file_name="0f0e0d0c-1b1a-4c2d-8e3f-405162738495.json")
    assert by_file.contact_id == "0f0e0d0c-1b1a-4c2d-8e3f-405162738495"
    with pytest.raises(FileFormatError, match="no ContactId"):
        connect.parse_call_analytics(document, file_name="analytics-output.json")


# --- Asterisk ----------------------------------------------------------------------------------
def test_asterisk_master_csv_columns_map_to_a_call_without_words() -> None:
    calls, rejects = split(list(asterisk.parse_master_csv(io.BytesIO(fixture_bytes("Master.csv")), zone=ZONE)))
    first = calls[0]
    assert first.call_id == "1761397331.1"
    assert first.occurred_at == datetime(2025, 10, 25, 13, 2, 11, tzinfo=UTC)  # 14:02:11 BST
    assert (first.caller, first.agent, first.queue, first.duration_seconds) == (
        "07700900123",
        "SIP/1001",
        "support",
        462,
    )
    assert first.extra["billsec"] == 443 and first.extra["cdr"]["disposition"] == "ANSWERED"
    assert first.turns is None and first.customer_text() == ""
    assert [(r.line, r.reason) for r in rejects] == [(4, "expected 17, 18, 21 fields, found 9")]


def test_the_repeated_autumn_hour_is_resolved_with_the_epoch_in_uniqueid() -> None:
    calls, _ = split(list(asterisk.parse_master_csv(io.BytesIO(fixture_bytes("Master.csv")), zone=ZONE)))
    # Both calls started at "2025-10-26 01:30:00" local time, an hour apart in reality.
    second_pass, first_pass = calls[1], calls[2]
    assert second_pass.occurred_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert first_pass.occurred_at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert first_pass.time_note == second_pass.time_note == "dst_overlap_resolved_by_uniqueid"


def test_an_asterisk_start_in_the_spring_gap_moves_forward_and_says_so() -> None:
    row = (
        '"","1","2","c","","SIP/a-00000001","","Hangup","","2026-03-29 01:30:00","","2026-03-29 03:00:10",'
        '10,0,"NO ANSWER","DOCUMENTATION","1774747800.3",""\n'
    )
    (record,) = asterisk.parse_master_csv(io.BytesIO(row.encode()), zone=ZONE)
    assert isinstance(record, CallRecord)
    assert record.occurred_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC) and record.time_note == "dst_gap"


def test_a_master_csv_without_uniqueid_cannot_key_its_calls() -> None:
    row = (
        '"","1","2","c","","SIP/a-00000001","","Hangup","","2025-10-25 10:00:00","","2025-10-25 10:00:10",'
        '10,0,"NO ANSWER","DOCUMENTATION"\n'
    )
    (reject,) = asterisk.parse_master_csv(io.BytesIO(row.encode()), zone=ZONE)
    assert isinstance(reject, RowReject) and "loguniqueid" in reject.reason


# --- telling formats apart ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("calls.jsonl", formats.CANONICAL_JSONL),
        ("calls.csv", formats.CANONICAL_CSV),
        ("connect_ctr.json", formats.CONNECT_CTR),
        ("contact_lens_analysis.json", formats.CONTACT_LENS),
        ("tca_output.json", formats.CALL_ANALYTICS),
        ("Master.csv", formats.ASTERISK_CDR),
    ],
)
@pytest.mark.parametrize("gzipped", [False, True])
def test_the_format_is_told_from_the_contents_even_gzipped(
    tmp_path: Path, name: str, expected: str, gzipped: bool
) -> None:
    path = tmp_path / "no-extension"
    data = fixture_bytes(name)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    assert formats.detect(path) == expected


def test_an_unknown_file_is_a_file_error_and_an_empty_one_is_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"just some notes\nnothing else\n")
    (tmp_path / "empty").write_bytes(b"\n")
    with pytest.raises(FileFormatError, match="not a known call-log format"):
        formats.detect(tmp_path / "notes.txt")
    assert formats.detect(tmp_path / "empty") == formats.EMPTY
