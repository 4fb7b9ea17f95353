"""The worker's batches (ingestion/batch.py): claim, isolation, idempotency, concurrency.

Real PostgreSQL (row locks, SKIP LOCKED), a real file lake, real Twilio form bodies through the
real adapter, and the test classifier.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from ingestion import batch, pipeline
from ingestion.batch import raw_events_process_batch
from ingestion.models import Message, RawEvent
from lake import Lake, raw_key
from warehouse.models import Complaint

COMPLAINT = "My parcel never arrived and nobody answers, I want a refund for order 48213 now"
CHATTER = "thanks, see you tomorrow"


def twilio_event(lake: Lake, *, sid: str = "", text: str = COMPLAINT, age: float = 0.0, body: bytes = b"") -> RawEvent:
    """What the edge leaves behind: the bytes in the lake, a `received` ledger row (no task run)."""
    sid = sid or "SM" + uuid.uuid4().hex
    body = body or urlencode({"MessageSid": sid, "From": "+447700900123", "To": "+447700900456", "Body": text}).encode()
    event_id = uuid.uuid4()
    received_at = timezone.now() - timedelta(seconds=age)
    stored = lake.write(raw_key("sms", received_at, event_id, "form"), body)
    return RawEvent.objects.create(
        id=event_id,
        source="sms",
        provider="twilio",
        lake_key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        content_type="application/x-www-form-urlencoded",
        received_at=received_at,
        enqueued_at=received_at,
    )


def statuses(events: list[RawEvent]) -> list[str]:
    return [RawEvent.objects.get(id=e.id).status for e in events]


@pytest.mark.django_db
def test_a_task_takes_the_waiting_events_with_its_own_and_does_them_in_one_batch(file_lake: Lake) -> None:
    events = [twilio_event(file_lake, text=COMPLAINT if i % 2 else CHATTER, age=10 - i) for i in range(6)]
    own = events[-1]  # the newest: the others are older and waiting

    result = raw_events_process_batch(raw_event_id=own.id, limit=50)

    assert result.events == 6 and result.messages == 6 and result.new_messages == 6
    assert statuses(events) == [RawEvent.Status.PROCESSED] * 6
    assert {e.attempts for e in RawEvent.objects.all()} == {1}
    assert {e.message_count for e in RawEvent.objects.all()} == {1}
    assert Message.objects.filter(status=Message.Status.NEW).count() == 0
    assert result.complaints == Complaint.objects.count() == Message.objects.filter(status="complaint").count()
    assert result.complaints + result.filtered == 6
    # Each message points at its own raw event, not at the task's.
    assert {m.raw_event_id for m in Message.objects.all()} == {e.id for e in events}
    # The other events' own tasks come later and find nothing to do.
    assert raw_events_process_batch(raw_event_id=events[0].id).skipped


@pytest.mark.django_db
def test_the_batch_is_capped_and_takes_the_oldest_waiting_first(file_lake: Lake) -> None:
    events = [twilio_event(file_lake, age=100 - i) for i in range(5)]
    result = raw_events_process_batch(raw_event_id=events[4].id, limit=3, drain_for=0)
    assert result.events == 3
    assert statuses(events) == ["processed", "processed", "received", "received", "processed"]


@pytest.mark.django_db
def test_a_task_that_found_work_drains_the_waiting_events_batch_after_batch(file_lake: Lake) -> None:
    events = [twilio_event(file_lake, age=100 - i) for i in range(7)]
    result = raw_events_process_batch(raw_event_id=events[6].id, limit=3, drain_for=60)
    assert result.events == 7 and result.new_messages == 7
    assert statuses(events) == [RawEvent.Status.PROCESSED] * 7
    assert {e.attempts for e in RawEvent.objects.all()} == {1}


@pytest.mark.django_db
def test_a_redelivery_inside_one_batch_is_one_message_and_one_complaint(file_lake: Lake) -> None:
    first = twilio_event(file_lake, sid="SMsame0001", age=2)
    again = twilio_event(file_lake, sid="SMsame0001", age=1)

    result = raw_events_process_batch(raw_event_id=again.id)

    assert result.events == 2 and result.messages == 2 and result.new_messages == 1
    assert Message.objects.count() == 1 and Complaint.objects.count() <= 1
    assert statuses([first, again]) == ["processed", "processed"]
    # Done again (a replay): nothing new.
    RawEvent.objects.update(status=RawEvent.Status.RECEIVED)
    assert raw_events_process_batch(raw_event_id=first.id).new_messages == 0
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_a_malformed_payload_or_a_missing_object_in_a_batch_stops_only_that_event(file_lake: Lake) -> None:
    good = twilio_event(file_lake, age=3)
    malformed = twilio_event(file_lake, body=b"Body=no+sender+and+no+sid", age=2)
    vanished = twilio_event(file_lake, age=1)
    file_lake.delete(vanished.lake_key)
    own = twilio_event(file_lake)

    result = raw_events_process_batch(raw_event_id=own.id)

    assert (result.events, result.quarantined, result.failed, result.one_by_one) == (4, 1, 1, False)
    assert statuses([good, malformed, vanished, own]) == ["processed", "quarantined", "failed", "processed"]
    assert "missing" in RawEvent.objects.get(id=vanished.id).error
    assert Message.objects.count() == 2


@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An adapter that breaks (a bug, not a bad payload) on the events in the returned set."""
    bad: set[str] = set()
    real = pipeline.get_adapter

    def get_adapter(provider: str):  # type: ignore[no-untyped-def]
        parse = real(provider)

        def guarded(raw):  # type: ignore[no-untyped-def]
            if raw.raw_event_id in bad:
                raise RuntimeError("adapter bug")
            return parse(raw)

        return guarded

    monkeypatch.setattr(pipeline, "get_adapter", get_adapter)
    return bad


@pytest.mark.django_db
def test_a_poison_event_in_a_batch_fails_alone_and_the_others_go_through(file_lake: Lake, poison: set[str]) -> None:
    events = [twilio_event(file_lake, age=5 - i) for i in range(5)]
    poison.add(str(events[1].id))

    result = raw_events_process_batch(raw_event_id=events[4].id)

    assert result.one_by_one and result.events == 4 and result.failed == 1
    assert statuses(events) == ["processed", "failed", "processed", "processed", "processed"]
    bad = RawEvent.objects.get(id=events[1].id)
    assert bad.attempts == 1 and "adapter bug" in bad.error
    assert Message.objects.count() == 4 and not Message.objects.filter(raw_event_id=events[1].id).exists()


@pytest.mark.django_db
def test_when_the_tasks_own_event_is_the_poison_the_others_are_done_and_the_task_fails(
    file_lake: Lake, poison: set[str]
) -> None:
    events = [twilio_event(file_lake, age=3 - i) for i in range(3)]
    poison.add(str(events[2].id))

    with pytest.raises(RuntimeError, match="adapter bug"):
        raw_events_process_batch(raw_event_id=events[2].id)

    # The task's failure handler (monitoring/celery_hooks) marks its own event failed.
    assert statuses(events) == ["processed", "processed", "received"]
    assert RawEvent.objects.get(id=events[2].id).attempts == 1


@pytest.mark.django_db
def test_finished_events_are_not_taken_again(file_lake: Lake) -> None:
    done = twilio_event(file_lake, age=2)
    raw_events_process_batch(raw_event_id=done.id)
    later = twilio_event(file_lake)
    result = raw_events_process_batch(raw_event_id=later.id)
    assert result.events == 1
    assert RawEvent.objects.get(id=done.id).attempts == 1
    assert raw_events_process_batch(raw_event_id=done.id).skipped


# --- concurrency: real connections, real row locks ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_event_another_batch_holds_is_skipped_not_waited_for_nor_done_twice(file_lake: Lake) -> None:
    events = [twilio_event(file_lake, age=10 - i) for i in range(6)]
    held = threading.Event()
    release = threading.Event()
    claimed: list[uuid.UUID] = []

    def other_worker() -> None:
        try:
            with transaction.atomic():
                claimed.extend(e.id for e in batch._claim(own_id=events[0].id, others=2))
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(timeout=30)
        assert claimed == [events[0].id, events[1].id, events[2].id]
        # Its own event is in the other batch: the task returns at once.
        assert raw_events_process_batch(raw_event_id=events[1].id).skipped
        # Another task takes what is left, passing over the held rows.
        result = raw_events_process_batch(raw_event_id=events[5].id, limit=50)
        assert result.events == 3
        assert statuses(events) == ["received"] * 3 + ["processed"] * 3
    finally:
        release.set()
        thread.join(timeout=30)
    # The other batch ended without finishing (a worker that died): its events wait, untouched.
    assert statuses(events[:3]) == ["received"] * 3
    assert raw_events_process_batch(raw_event_id=events[0].id).events == 3
    assert Message.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_workers_batching_at_once_never_process_an_event_twice(file_lake: Lake) -> None:
    events = [twilio_event(file_lake, age=60 - i) for i in range(40)]
    results: list[batch.BatchResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def worker(ids: list[RawEvent]) -> None:
        try:
            start.wait(timeout=30)
            for event in ids:
                results.append(raw_events_process_batch(raw_event_id=event.id, limit=7))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(events[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    start.wait(timeout=30)
    for t in threads:
        t.join(timeout=120)

    assert not errors
    assert sum(r.events for r in results) == 40  # every event done by exactly one batch
    assert {e.attempts for e in RawEvent.objects.all()} == {1}
    assert statuses(events) == [RawEvent.Status.PROCESSED] * 40
    assert Message.objects.count() == 40
    assert Complaint.objects.count() == Message.objects.filter(status="complaint").count()


@pytest.mark.django_db(transaction=True)
def test_the_workers_own_transaction_commits_asynchronously(file_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = batch._handle

    def handle(events):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return real(events)

    monkeypatch.setattr(batch, "_handle", handle)
    raw_events_process_batch(raw_event_id=twilio_event(file_lake).id)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()[0]
    assert seen == ["off"] and after == "on"  # SET LOCAL: that transaction only
