"""Group commit of the accept path (ingestion/group_commit.py): concurrent deliveries share one
flush (lake objects synced and named, one INSERT, one LPUSH), and none of them returns before the
flush that carried it has finished; an error that is one delivery's own fails that one alone."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis as redis_lib
from django.db import OperationalError, connection
from django.utils import timezone

from conftest import wait_for
from ingestion import services
from ingestion.group_commit import Flush, GroupCommit, Item
from ingestion.models import RawEvent
from ingestion.tests.webhook_helpers import payload
from lake import Lake, LakeKeyExists, raw_key

SMS = payload("twilio_sms.txt")


def _run_threads(count: int, target: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a submit never returned"
    return errors


def _held_first_batch(group: GroupCommit, flush: Flush, waiting: int) -> Flush:
    """The first flush waits until `waiting` more items have queued behind it, so the second
    batch is known to hold them all (no timing involved)."""
    first = threading.Event()

    def held(items: list[Item]) -> Sequence[BaseException | None] | None:
        if not first.is_set():
            first.set()
            wait_for(lambda: group.queued() == waiting, timeout=30, interval=0.005)
        return flush(items)

    return held


def _after_the_first_leader(group: GroupCommit, n: int) -> None:
    if n:  # the others queue while the first one's flush is in flight
        wait_for(lambda: group.flushing, timeout=10, interval=0.001)


def _outcomes(group: GroupCommit, *, count: int) -> dict[int, str]:
    """Submit items 0..count-1 from as many threads (0 leads the first flush): what each got."""
    outcome: dict[int, str] = {}

    def submit(n: int) -> None:
        _after_the_first_leader(group, n)
        try:
            group.submit(n)
        except Exception as exc:
            outcome[n] = f"{type(exc).__name__}: {exc}"
        else:
            outcome[n] = "flushed"

    assert _run_threads(count, submit) == []
    return outcome


def test_items_that_queue_during_a_flush_go_together_and_each_caller_returns_after_its_flush() -> None:
    flushed: set[int] = set()
    batches: list[list[int]] = []

    def flush(items: list[Item]) -> None:
        time.sleep(0.001)  # a statement in flight
        batches.append(list(items))
        flushed.update(items)

    group = GroupCommit(flush)
    group.flush = _held_first_batch(group, flush, waiting=7)

    def submit(n: int) -> None:
        _after_the_first_leader(group, n)
        group.submit(n)
        assert n in flushed  # never back before its own flush

    assert _run_threads(8, submit) == []
    assert batches[0] == [0] and sorted(batches[1]) == list(range(1, 8))
    assert group.batch_sizes == [1, 7]
    assert not group.flushing and group.queued() == 0


def test_a_failed_flush_raises_in_every_caller_it_carried_and_the_next_batch_still_runs() -> None:
    batches: list[list[int]] = []

    def flush(items: list[Item]) -> None:
        batches.append(list(items))
        if len(batches) == 2:
            raise OperationalError("server closed the connection")

    group = GroupCommit(flush)
    group.flush = _held_first_batch(group, flush, waiting=5)
    outcome = _outcomes(group, count=6)
    assert outcome == {0: "flushed", **{n: "OperationalError: server closed the connection" for n in range(1, 6)}}
    group.submit(99)  # the failure is not sticky
    assert batches[-1] == [99]


def test_an_items_own_error_is_raised_by_its_caller_alone() -> None:
    def flush(items: list[Item]) -> list[BaseException | None]:
        return [ValueError(f"item {item}") if item % 2 else None for item in items]

    group = GroupCommit(flush)
    group.flush = _held_first_batch(group, flush, waiting=5)
    outcome = _outcomes(group, count=6)
    assert outcome == {n: f"ValueError: item {n}" if n % 2 else "flushed" for n in range(6)}


def test_many_threads_submitting_at_random_all_return_and_every_item_is_flushed_once() -> None:
    # No timing assumptions: whatever the interleaving, nobody is left waiting and no item is
    # flushed twice or dropped (the hand-over of the lead to the next batch included).
    flushed: list[int] = []

    def flush(items: list[Item]) -> None:
        if random.random() < 0.5:
            time.sleep(random.random() / 1000)
        flushed.extend(items)

    group = GroupCommit(flush)

    def submit(n: int) -> None:
        for k in range(50):
            if random.random() < 0.3:
                time.sleep(random.random() / 2000)
            group.submit(n * 1000 + k)

    assert _run_threads(16, submit) == []
    assert sorted(flushed) == sorted(n * 1000 + k for n in range(16) for k in range(50))
    assert not group.flushing and group.queued() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_share_one_flush_and_each_is_durable_when_receive_returns(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch, private_queue: str, redis_client: redis_lib.Redis
) -> None:
    group = GroupCommit(services._accept_batch)
    group.flush = _held_first_batch(group, services._accept_batch, waiting=5)
    monkeypatch.setattr(services, "_accept_group", lambda: group)
    seen_from_own_connection: dict[int, bool] = {}
    event_ids: list[str] = []

    def deliver(n: int) -> None:
        try:
            _after_the_first_leader(group, n)
            assert not connection.in_atomic_block
            event = services.raw_event_receive(
                source="sms", provider="twilio", body=SMS + str(n).encode(), ext="form", event_id=uuid.uuid4()
            )
            # This thread's connection is not the one the shared INSERT ran on (except the
            # leader's): the row is visible to it, so it was committed before receive returned;
            # and the lake object is there under its key, with its own bytes.
            seen_from_own_connection[n] = RawEvent.objects.filter(id=event.id).exists()
            assert durable_file_lake.read(event.lake_key) == SMS + str(n).encode()
            event_ids.append(str(event.id))
        finally:
            connection.close()

    assert _run_threads(6, deliver) == []
    assert seen_from_own_connection == {n: True for n in range(6)}
    assert group.batch_sizes == [1, 5]
    assert RawEvent.objects.count() == 6
    assert len(list(durable_file_lake.list("raw/sms"))) == 6
    # Each group's leader pushed its rows' tasks in one LPUSH: one task per event, none twice.
    queued = [
        json.loads(base64.b64decode(json.loads(m)["body"]))[0][0] for m in redis_client.lrange(private_queue, 0, -1)
    ]
    assert sorted(queued) == sorted(event_ids)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_lake_object_cannot_be_named_fails_alone_and_gets_no_row(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch, private_queue: str
) -> None:
    group = GroupCommit(services._accept_batch)
    group.flush = _held_first_batch(group, services._accept_batch, waiting=3)
    monkeypatch.setattr(services, "_accept_group", lambda: group)
    at = timezone.now()
    taken = uuid.uuid4()
    durable_file_lake.write(raw_key("sms", at, taken, "form"), b"somebody else's bytes")
    outcome: dict[int, str] = {}

    def deliver(n: int) -> None:
        try:
            _after_the_first_leader(group, n)
            event_id = taken if n == 2 else uuid.uuid4()
            services.raw_event_receive(
                source="sms", provider="twilio", body=SMS, ext="form", event_id=event_id, received_at=at
            )
            outcome[n] = "accepted"
        except LakeKeyExists:
            outcome[n] = "key exists"
        finally:
            connection.close()

    assert _run_threads(4, deliver) == []
    assert outcome == {0: "accepted", 1: "accepted", 2: "key exists", 3: "accepted"}
    assert group.batch_sizes == [1, 3]
    assert RawEvent.objects.count() == 3 and not RawEvent.objects.filter(id=taken).exists()
    assert durable_file_lake.read(raw_key("sms", at, taken, "form")) == b"somebody else's bytes"  # write-once


@pytest.mark.django_db(transaction=True)
def test_a_group_whose_insert_fails_raises_in_each_caller_and_keeps_their_bytes_in_the_lake(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch, private_queue: str, redis_client: redis_lib.Redis
) -> None:
    def refused(rows: list[list[Any]]) -> None:
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "_ledger_insert_rows", refused)
    group = GroupCommit(services._accept_batch)
    monkeypatch.setattr(services, "_accept_group", lambda: group)

    def deliver(n: int) -> None:
        try:
            services.raw_event_receive(source="sms", provider="twilio", body=SMS, ext="form")
        finally:
            connection.close()

    errors = _run_threads(4, deliver)
    assert len(errors) == 4 and all(isinstance(error, OperationalError) for error in errors)
    assert len(list(durable_file_lake.list("raw/sms"))) == 4  # lake first: replay_lake finds them
    assert redis_client.llen(private_queue) == 0  # no task for a row that is not there


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_row_is_inserted_at_once_and_commits_with_it(file_lake: Any) -> None:
    # pytest-django's `db` wraps the test in a transaction: the group must not take the row to
    # another connection, where it would commit on its own.
    before = list(services._accept_group().batch_sizes)
    event = services.raw_event_receive(source="sms", provider="twilio", body=SMS, ext="form")
    assert RawEvent.objects.filter(id=event.id).exists()
    assert services._accept_group().batch_sizes == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, 0, 7, tzinfo=ZoneInfo("Europe/London")),  # the hour that happens twice
        datetime(2026, 1, 1, 5, 45, tzinfo=ZoneInfo("Asia/Kathmandu")),  # +05:45
    ],
)
def test_the_ledger_rows_are_stored_exactly_as_the_orm_would_store_them(at: datetime) -> None:
    # The accept path prepares values once per process and sends a group as one JSON document
    # (ingestion/ledger_rows.py): every column must come out as Model.objects.create() stores it.
    def values(event_id: uuid.UUID, enqueued: datetime | None) -> dict[str, Any]:
        return {
            "id": event_id,
            "source": "sms",
            "provider": "twilio",
            "lake_key": f"raw/sms/2026/01/01/00/{event_id}.form",
            "sha256": "ab" * 32,
            "size": 2**62,
            "content_type": 'application/x-www-form-urlencoded; charset="utf-8"',
            "headers": {"X-Twilio-Signature": "s'ig\\n\"", "Content-Type": "x", "Empty": ""},
            "meta": {"reference": "C-1", "nested": [1, "é", None, True, {"k": "🙂 \t tab"}], "n": 2**53},
            "received_at": at,
            "enqueued_at": enqueued,
        }

    ours, theirs = uuid.uuid4(), uuid.uuid4()
    for enqueued in (at, None):
        services.ledger_insert(values(ours, enqueued))
        RawEvent.objects.create(**values(theirs, enqueued))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, row_to_json(r)::jsonb - 'id' - 'lake_key' FROM ingestion_rawevent r WHERE id IN (%s, %s)",
                [ours, theirs],
            )
            stored = {row_id: json.loads(row) for row_id, row in cursor.fetchall()}  # Django reads jsonb as text
        assert stored[ours] == stored[theirs]
        assert stored[ours]["status"] == "received" and stored[ours]["size"] == 2**62
        RawEvent.objects.filter(id__in=[ours, theirs]).delete()
