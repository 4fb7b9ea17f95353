"""Amazon Connect and Asterisk through the job: records joined with transcripts in either order."""

from __future__ import annotations

import json

import pytest

from ingestion.calllogs.job import call_logs_ingest
from ingestion.models import Message, RawEvent
from ingestion.tests.calllogs.helpers import LONDON, KeywordClassifier, drop, fixture_bytes
from lake import Lake
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db

CONTACT = "a7f3c2e1-5b4d-4c9a-8e7f-0d1c2b3a4f5e"
TCA_CONTACT = "c0ffee00-1234-4abc-8def-0123456789ab"
CUSTOMER_WORDS = (
    "I was charged twice for order four eight two one three and nobody has refunded me.\n"
    "Okay, thank you. How long will it take?"
)


@pytest.fixture(autouse=True)
def _source_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CALL_LOG_SOURCE_TZ = LONDON


@pytest.fixture
def classifier(monkeypatch: pytest.MonkeyPatch) -> KeywordClassifier:
    fake = KeywordClassifier()
    monkeypatch.setattr("ingestion.bulk.classify_texts", fake)
    return fake


def ctr(contact: str = CONTACT, updated: str = "2025-10-25T13:12:21Z", **extra: object) -> dict[str, object]:
    record = json.loads(fixture_bytes("connect_ctr.json"))
    record.update(ContactId=contact, LastUpdateTimestamp=updated, **extra)
    return record


def test_a_record_and_its_contact_lens_transcript_dropped_together_make_one_classified_call(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "connect/ctr/2025/10/25/13/firehose-1", fixture_bytes("connect_ctr.json"))
    drop(
        file_lake,
        f"connect/Analysis/Voice/2025/10/25/{CONTACT}_analysis_2025-10-25T13:03:22Z.json",
        fixture_bytes("contact_lens_analysis.json"),
    )
    summary = call_logs_ingest()
    # Transcripts are read first, so the record finds its words in the same run.
    assert [f.format for f in summary.files] == ["contact_lens", "connect_ctr"]
    message = Message.objects.get()
    assert (message.external_id, message.provider, message.channel) == (CONTACT, "amazon_connect", "call")
    assert message.text == CUSTOMER_WORDS
    assert classifier.texts == [CUSTOMER_WORDS]  # the agent's turns were not classified
    assert len(message.metadata["transcript"]) == 4 and message.metadata["transcript_source"] == "contact_lens"
    assert message.metadata["ctr"]["Attributes"]["orderNumber"] == "48213"
    assert message.status == Message.Status.COMPLAINT
    assert Complaint.objects.get().contact_phone == "+447700900123"
    transcript_event = RawEvent.objects.get(meta__format="contact_lens")
    assert transcript_event.meta["contact_id"] == CONTACT


def test_a_record_that_comes_before_its_transcript_waits_without_words_then_is_completed(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "ctr-1.json", fixture_bytes("connect_ctr.json"))
    (first,) = call_logs_ingest().files
    assert (first.calls, first.without_text, first.complaints) == (1, 1, 0)
    waiting = Message.objects.get()
    assert waiting.text == "" and waiting.is_complaint is None and waiting.status == Message.Status.FILTERED
    assert waiting.metadata["unclassified"] == "no text" and classifier.texts == []

    drop(file_lake, f"{CONTACT}_analysis_2025-10-25T13:03:22Z.json", fixture_bytes("contact_lens_analysis.json"))
    files = call_logs_ingest().files
    late = next(f for f in files if f.format == "contact_lens")
    assert (late.updated, late.complaints) == (1, 1)
    completed = Message.objects.get()
    assert completed.text == CUSTOMER_WORDS and completed.status == Message.Status.COMPLAINT
    assert "unclassified" not in completed.metadata and completed.metadata["ctr"]["ContactId"] == CONTACT
    assert Complaint.objects.get().text == CUSTOMER_WORDS


def test_a_call_analytics_transcript_is_joined_by_the_contact_id_in_its_job_name(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "analytics/job-output.json", fixture_bytes("tca_output.json"))
    drop(file_lake, "ctr.json", json.dumps(ctr(TCA_CONTACT)).encode())
    call_logs_ingest()
    message = Message.objects.get()
    assert message.external_id == TCA_CONTACT
    assert message.text == "My sofa was meant to arrive on Tuesday and it still has not come, nobody rang me."
    assert message.metadata["transcript_source"] == "transcribe_call_analytics"


def test_a_record_delivered_twice_across_files_keeps_the_latest_version(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(
        file_lake, "b-later.json", json.dumps(ctr(updated="2025-10-25T13:30:00Z", Attributes={"v": "latest"})).encode()
    )
    call_logs_ingest()
    drop(file_lake, "c-older.json", json.dumps(ctr(updated="2025-10-25T13:12:21Z", Attributes={"v": "old"})).encode())
    call_logs_ingest()
    assert Message.objects.get().metadata["ctr"]["Attributes"] == {"v": "latest"}

    drop(
        file_lake, "d-newest.json", json.dumps(ctr(updated="2025-10-25T14:00:00Z", Attributes={"v": "newest"})).encode()
    )
    (file,) = [f for f in call_logs_ingest().files if f.outcome == "ingested"]
    assert (file.duplicates, file.updated) == (1, 1)
    message = Message.objects.get()
    assert message.metadata["ctr"]["Attributes"] == {"v": "newest"}
    assert message.metadata["version"] == "2025-10-25T14:00:00+00:00"


def test_firehose_concatenated_records_with_a_repeat_inside_one_file(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    other = "0b5c7e2a-9d41-4f0e-a6b2-3c8d9e0f1a2b"
    records = [ctr(), ctr(other), ctr(updated="2025-10-25T13:40:00Z", Attributes={"v": "re-sent"})]
    drop(file_lake, "firehose.gz", b"".join(json.dumps(r).encode() for r in records), gzipped=True)
    (file,) = call_logs_ingest().files
    assert (file.format, file.calls, file.new_calls) == ("connect_ctr", 2, 2)
    assert Message.objects.get(external_id=CONTACT).metadata["ctr"]["Attributes"] == {"v": "re-sent"}


def test_asterisk_calls_are_recorded_and_a_canonical_transcript_with_the_uniqueid_completes_one(
    file_lake: Lake, classifier: KeywordClassifier
) -> None:
    drop(file_lake, "asterisk/Master.csv", fixture_bytes("Master.csv"))
    (file,) = call_logs_ingest().files
    assert (file.format, file.calls, file.without_text, file.rejected) == ("asterisk_cdr", 3, 3, 1)
    cdr = Message.objects.get(external_id="1761397331.1")
    assert (cdr.provider, cdr.text, cdr.is_complaint) == ("asterisk", "", None)
    assert cdr.metadata["queue"] == "support" and cdr.metadata["cdr"]["disposition"] == "ANSWERED"

    row = {
        "call_id": "1761397331.1",
        "timestamp": "2025-10-25 14:02:11",
        "call_duration": 462,
        "transcript": "Agent: Support.\nCustomer: The router you sent is broken, I want a refund.",
    }
    drop(file_lake, "transcripts.jsonl", json.dumps(row).encode() + b"\n")
    call_logs_ingest()
    cdr.refresh_from_db()
    assert cdr.text == "The router you sent is broken, I want a refund."
    assert cdr.status == Message.Status.COMPLAINT and cdr.metadata["cdr"]["uniqueid"] == "1761397331.1"
    assert Complaint.objects.get().external_id == "1761397331.1"
