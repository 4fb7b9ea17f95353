"""Celery signal receivers: failures, retries, heartbeats and beat's publications.

Signals rather than a base Task class, because every task in every app must be covered,
including ones written later, without each author remembering to opt in. Each receiver is
wrapped so that a monitoring problem (the database down, say) never turns into a task error.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from celery.signals import (
    beat_init,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
)
from django.conf import settings

import metrics
from monitoring.alerts import alert_task_failed

logger = logging.getLogger(__name__)

RAW_EVENT_TASK = "ingestion.process_raw_event"
HEARTBEAT_EVERY = 30.0  # seconds between two heartbeat rows written by one process

_state: dict[str, Any] = {"role": "", "beat_at": float("-inf"), "worker_at": float("-inf"), "pid": 0}


def _guarded(func: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("monitoring hook %s failed", func.__name__)

    return wrapper


def _watched(task_name: str) -> bool:
    return task_name in settings.MONITORING_JOBS


# --- failures and retries ---------------------------------------------------------------------
@task_failure.connect
@_guarded
def on_task_failure(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = (),
    einfo: Any = None,
    **_: Any,
) -> None:
    """Fires once a task has failed for good: autoretry raised its last error, or no retry applied."""
    name = getattr(sender, "name", str(sender))
    error = f"{type(exception).__name__}: {exception}" if exception else "unknown error"
    metrics.record_task_failure(task=name)
    if name == RAW_EVENT_TASK and args:
        from ingestion.replay import raw_event_mark_failed

        raw_event_mark_failed(raw_event_id=str(args[0]), error=error)
    if _watched(name):
        from monitoring.services import job_failed

        job_failed(task_name=name, error=error)
    alert_task_failed(
        task_name=name,
        task_id=str(task_id),
        args=list(args or ()),
        exc=exception or error,
        traceback_text=str(einfo or ""),
    )


@task_retry.connect
@_guarded
def on_task_retry(sender: Any = None, **_: Any) -> None:
    metrics.record_task_retry(task=getattr(sender, "name", str(sender)))


# --- scheduled jobs -----------------------------------------------------------------------------
@task_prerun.connect
@_guarded
def on_task_prerun(sender: Any = None, **_: Any) -> None:
    if _watched(sender.name):
        from monitoring.services import job_started

        job_started(task_name=sender.name)


@task_success.connect
@_guarded
def on_task_success(sender: Any = None, **_: Any) -> None:
    if _watched(sender.name):
        from monitoring.services import job_succeeded

        job_succeeded(task_name=sender.name)


# --- worker liveness and process metrics -------------------------------------------------------
@worker_ready.connect
@_guarded
def on_worker_ready(sender: Any = None, **_: Any) -> None:
    _state["role"] = "worker"
    worker_heartbeat(instance=getattr(sender, "hostname", "") or socket.gethostname(), force=True)


@worker_process_init.connect
@_guarded
def on_worker_process_init(**_: Any) -> None:
    _state["role"] = "worker"
    metrics.process_sample(role="worker", force=True)


@worker_process_shutdown.connect
@_guarded
def on_worker_process_shutdown(pid: int | None = None, **_: Any) -> None:
    metrics.process_exited(pid=pid)


@task_postrun.connect
@_guarded
def on_task_postrun(task: Any = None, **_: Any) -> None:
    hostname = getattr(getattr(task, "request", None), "hostname", None)
    if not hostname or getattr(task.request, "is_eager", False):
        return  # run in-process (eager, tests): not a worker
    metrics.process_sample(role="worker")
    worker_heartbeat(instance=hostname)


def worker_heartbeat(*, instance: str, force: bool = False) -> None:
    """At most one row write per HEARTBEAT_EVERY seconds per process: a busy worker is not slowed."""
    now = time.monotonic()
    if _state["pid"] != os.getpid():  # a forked pool child starts its own clock
        _state.update(pid=os.getpid(), worker_at=float("-inf"), beat_at=float("-inf"))
    if not force and now - _state["worker_at"] < HEARTBEAT_EVERY:
        return
    _state["worker_at"] = now
    from monitoring.services import heartbeat_record

    heartbeat_record(component="worker", instance=instance, pid=os.getpid(), detail=_process_detail())


# --- beat --------------------------------------------------------------------------------------
@beat_init.connect
@_guarded
def on_beat_init(sender: Any = None, **_: Any) -> None:
    _state["role"] = "beat"
    _beat_heartbeat(force=True)


@before_task_publish.connect
@_guarded
def on_before_task_publish(sender: Any = None, **_: Any) -> None:
    """In the beat process every publication is a scheduled run: record it, and beat's heartbeat."""
    if _state["role"] != "beat":
        return
    from monitoring.services import job_sent

    job_sent(task_name=str(sender))
    _beat_heartbeat()


def _beat_heartbeat(*, force: bool = False) -> None:
    now = time.monotonic()
    if not force and now - _state["beat_at"] < 10:
        return
    _state["beat_at"] = now
    metrics.process_sample(role="beat")
    from monitoring.services import heartbeat_record

    heartbeat_record(component="beat", instance=socket.gethostname(), pid=os.getpid(), detail=_process_detail())


def _process_detail() -> dict[str, Any]:
    import psutil

    proc = psutil.Process()
    with proc.oneshot():
        cpu = proc.cpu_times()
        return {"rss_bytes": proc.memory_info().rss, "cpu_seconds": round(cpu.user + cpu.system, 2)}
