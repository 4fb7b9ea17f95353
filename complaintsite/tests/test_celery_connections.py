"""Worker tasks keep their PostgreSQL connection across tasks, and still recover from a lost one.

Each task runs through Celery's own tracer as a pool process runs it (not eager), with Celery's
Django fixup installed as the worker installs it, against the real test database.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from celery.app.trace import build_tracer
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.db import connection, transaction

from complaintsite.celery import app


@app.task(name="complaintsite.tests.backend_pid")
def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def run_in_worker(task: Any) -> int:
    """One task as a worker's pool process runs it: prerun signal, the task, postrun signal."""
    trace = build_tracer(task.name, task, eager=False, propagate=True, app=app)
    result = trace(str(uuid.uuid4()), (), {}, {"delivery_info": {}})
    assert result.info is None, result.info  # an ExceptionInfo when the task failed
    return int(result.retval)


@pytest.fixture
def worker_fixup(transactional_db: None) -> Iterator[DjangoWorkerFixup]:
    """Celery's Django fixup, connected as in a worker; disconnected afterwards."""
    fixup = DjangoWorkerFixup(app).install()
    try:
        yield fixup
    finally:
        task_prerun.disconnect(fixup.on_task_prerun)
        task_postrun.disconnect(fixup.on_task_postrun)
        worker_process_init.disconnect(fixup.on_worker_process_init)
        connection.close()


@pytest.fixture
def conn_max_age(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """CONN_MAX_AGE as in production (the test settings use 0)."""
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    yield
    connection.close()


def test_the_fixup_reads_the_reuse_setting(worker_fixup: DjangoWorkerFixup, settings: Any) -> None:
    assert worker_fixup.db_reuse_max == settings.CELERY_DB_REUSE_MAX >= 100


def test_one_connection_serves_many_tasks(worker_fixup: DjangoWorkerFixup, conn_max_age: None) -> None:
    pids = {run_in_worker(backend_pid) for _ in range(5)}

    assert len(pids) == 1


def test_a_connection_the_server_dropped_is_replaced_before_the_next_task(
    worker_fixup: DjangoWorkerFixup, conn_max_age: None
) -> None:
    first = run_in_worker(backend_pid)
    admin = psycopg2.connect(
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"],
        user=connection.settings_dict["USER"],
        dbname=connection.settings_dict["NAME"],
    )
    admin.autocommit = True  # pg_stat_activity is read afresh by each statement only outside a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first])
            # The backend exits asynchronously: wait until it is gone, as after a server restart.
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [first])
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"backend {first} did not exit")
    finally:
        admin.close()

    second = run_in_worker(backend_pid)  # the health check finds the dead connection, not the task

    assert second != first


def test_an_expired_connection_is_closed_after_its_task(worker_fixup: DjangoWorkerFixup) -> None:
    # The test settings' CONN_MAX_AGE = 0: every task gets a fresh connection, as Django's requests do.
    pids = [run_in_worker(backend_pid) for _ in range(3)]

    assert len(set(pids)) == 3


def test_eager_tasks_leave_the_callers_transaction_alone(worker_fixup: DjangoWorkerFixup) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            caller = cursor.fetchone()[0]
        result = backend_pid.apply()

        assert result.get() == caller
        assert connection.in_atomic_block
