"""Group commit of ledger rows (ingestion/group_commit.py): concurrent requests share one INSERT,
and none of them returns before the statement that carried its row has committed."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis as redis_lib
from django.db import OperationalError, connection

from conftest import wait_for
from ingestion import services
from ingestion.group_commit import GroupCommit, Row
from ingestion.models import RawEvent
from ingestion.tests.webhook_helpers import payload

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


def _held_first_batch(
    group: GroupCommit, insert: Callable[[list[Row]], None], waiting: int
) -> Callable[[list[Row]], None]:
    """The first statement waits until `waiting` more rows have queued behind it, so the second
    batch is known to hold them all (no timing involved)."""
    first = threading.Event()

    def held(rows: list[Row]) -> None:
        if not first.is_set():
            first.set()
            wait_for(lambda: group._open is not None and len(group._open.rows) == waiting, timeout=30, interval=0.005)
        insert(rows)

    return held


def test_rows_that_queue_during_a_flush_go_together_and_each_caller_returns_after_its_commit() -> None:
    committed: set[int] = set()
    statements: list[list[int]] = []

    def insert(rows: list[Row]) -> None:
        time.sleep(0.001)  # a statement in flight
        statements.append([row[0] for row in rows])
        committed.update(row[0] for row in rows)

    group = GroupCommit(insert)
    group.insert_rows = _held_first_batch(group, insert, waiting=7)

    def submit(n: int) -> None:
        if n:  # the others queue while the first one's statement is in flight
            wait_for(lambda: group._flushing, timeout=10, interval=0.001)
        group.submit([n])
        assert n in committed  # never back before its own statement committed

    assert _run_threads(8, submit) == []
    assert sorted(len(rows) for rows in statements) == [1, 7]
    assert statements[0] == [0] and sorted(statements[1]) == list(range(1, 8))
    assert group.batch_sizes == [1, 7]


def test_a_failed_statement_raises_in_every_caller_it_carried_and_the_next_batch_still_runs() -> None:
    statements: list[list[int]] = []

    def insert(rows: list[Row]) -> None:
        statements.append([row[0] for row in rows])
        if len(statements) == 2:
            raise OperationalError("server closed the connection")

    group = GroupCommit(insert)
    group.insert_rows = _held_first_batch(group, insert, waiting=5)
    outcome: dict[int, str] = {}

    def submit(n: int) -> None:
        if n:  # the others queue while the first one's statement is in flight
            wait_for(lambda: group._flushing, timeout=10, interval=0.001)
        try:
            group.submit([n])
        except OperationalError:
            outcome[n] = "raised"
        else:
            outcome[n] = "committed"

    assert _run_threads(6, submit) == []
    assert outcome == {0: "committed", **{n: "raised" for n in range(1, 6)}}
    group.submit([99])  # the failure is not sticky
    assert statements[-1] == [99]


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_share_an_insert_and_each_row_is_committed_when_receive_returns(
    file_lake: Any, monkeypatch: pytest.MonkeyPatch, private_queue: str, redis_client: redis_lib.Redis
) -> None:
    group = GroupCommit(services._ledger_insert_rows, after_commit=services._ledger_enqueue_committed)
    group.insert_rows = _held_first_batch(group, services._ledger_insert_rows, waiting=5)
    monkeypatch.setattr(services, "_ledger_group", lambda: group)
    seen_from_own_connection: dict[int, bool] = {}
    event_ids: list[str] = []

    def deliver(n: int) -> None:
        try:
            if n:  # the others queue while the first one's statement is in flight
                wait_for(lambda: group._flushing, timeout=10, interval=0.001)
            assert not connection.in_atomic_block
            event = services.raw_event_receive(
                source="sms", provider="twilio", body=SMS, ext="form", event_id=uuid.uuid4()
            )
            # This thread's connection is not the one the shared INSERT ran on (except the
            # leader's): the row is visible to it, so it was committed before receive returned.
            seen_from_own_connection[n] = RawEvent.objects.filter(id=event.id).exists()
            event_ids.append(str(event.id))
        finally:
            connection.close()

    assert _run_threads(6, deliver) == []
    assert seen_from_own_connection == {n: True for n in range(6)}
    assert group.batch_sizes == [1, 5]
    assert RawEvent.objects.count() == 6
    assert len(list(file_lake.list("raw/sms"))) == 6
    # Each group's leader pushed its rows' tasks in one LPUSH: one task per event, none twice.
    queued = [
        json.loads(base64.b64decode(json.loads(m)["body"]))[0][0] for m in redis_client.lrange(private_queue, 0, -1)
    ]
    assert sorted(queued) == sorted(event_ids)


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_row_is_inserted_at_once_and_commits_with_it(file_lake: Any) -> None:
    # pytest-django's `db` wraps the test in a transaction: the group must not take the row to
    # another connection, where it would commit on its own.
    before = list(services._ledger_group().batch_sizes)
    event = services.raw_event_receive(source="sms", provider="twilio", body=SMS, ext="form")
    assert RawEvent.objects.filter(id=event.id).exists()
    assert services._ledger_group().batch_sizes == before
