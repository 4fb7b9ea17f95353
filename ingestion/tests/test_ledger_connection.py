"""ingestion/ledger_connection.py: the accept group's rows go through one connection per process,
whichever thread leads the flush; a cut connection fails its flush (503) and the next one
reconnects; a forked worker makes its own and leaves its parent's alone."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from django.db import OperationalError, connection

from conftest import wait_for
from ingestion import ledger_connection, services
from ingestion.models import RawEvent
from ingestion.tests.webhook_helpers import payload
from lake import Lake

SMS = payload("twilio_sms.txt")


def _accept() -> Any:
    return services.raw_event_receive(source="sms", provider="twilio", body=SMS, ext="form")


def _backend_pids_of_this_database() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_flushes_led_by_different_threads_share_the_processs_one_connection(file_lake: Lake) -> None:
    before = _backend_pids_of_this_database()
    seen: list[int | None] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            _accept()
            seen.append(ledger_connection.backend_pid())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # the thread's own Django connection, which the accept never opened

    for _ in range(3):  # one after another: each thread leads its own flush
        thread = threading.Thread(target=deliver)
        thread.start()
        thread.join(timeout=60)
    assert errors == []
    assert RawEvent.objects.count() == 3
    assert len(set(seen)) == 1 and seen[0] is not None
    assert _backend_pids_of_this_database() - before == {seen[0]}  # one backend for all three


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_flush(file_lake: Lake) -> None:
    # What a PostgreSQL restart does to every idle connection: the flush after it must not fail.
    _accept()
    first = ledger_connection.backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    wait_for(lambda: first not in _backend_pids_of_this_database(), timeout=10, interval=0.01)
    _accept()
    assert ledger_connection.backend_pid() not in (None, first)
    assert RawEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_unseen_fails_its_flush_and_the_next_flush_reconnects(
    file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cut the socket does not show (a network drop without a goodbye): the statement fails.
    monkeypatch.setattr(ledger_connection, "_closed_by_the_server", lambda wrapper: False)
    _accept()
    first = ledger_connection.backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    wait_for(lambda: first not in _backend_pids_of_this_database(), timeout=10, interval=0.01)
    with pytest.raises(OperationalError):  # Django's class: the webhook answers 503 and is retried
        _accept()
    assert ledger_connection.backend_pid() is None  # closed, not kept half-dead
    assert len(list(file_lake.list("raw/sms"))) == 2  # the failed delivery's bytes stay in the lake
    _accept()
    assert ledger_connection.backend_pid() not in (None, first)
    assert RawEvent.objects.count() == 2


def _child_accepts(results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        _accept()
        results.put(("ok", ledger_connection.backend_pid()))
    except BaseException as exc:
        results.put(("error", repr(exc)))
    finally:
        ledger_connection.close()
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_forked_worker_opens_its_own_and_its_parents_keeps_working(file_lake: Lake) -> None:
    _accept()  # the parent's connection exists before the fork (as with gunicorn --preload)
    parent = ledger_connection.backend_pid()
    connection.close()  # the test's own Django connection is not the child's to share
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=_child_accepts, args=(results,))
    child.start()
    outcome, child_backend = results.get(timeout=60)
    child.join(timeout=60)
    assert outcome == "ok" and child_backend not in (None, parent)
    _accept()  # the child closing its own did not end the parent's session
    assert ledger_connection.backend_pid() == parent
    assert RawEvent.objects.count() == 3
