"""RSS and CPU of this process, as gauges labelled by role (web, worker, beat).

In multi-process mode the collector adds a `pid` label (host-pid) to each sample, so every web
and worker process appears on its own; `sum by (role)` gives the totals. Sampling is throttled:
a request or a task pays for a psutil call at most once per SAMPLE_EVERY seconds.
"""

from __future__ import annotations

import os
import time

import psutil
from prometheus_client import Gauge

from metrics._multiprocess import MULTIPROC_DIR, process_identifier

SAMPLE_EVERY = 10.0

RSS_BYTES = Gauge(
    "complaints_process_resident_memory_bytes",
    "Resident set size of a web, worker or beat process.",
    ["role"],
    multiprocess_mode="liveall",
)
CPU_SECONDS = Gauge(
    "complaints_process_cpu_seconds",
    "User + system CPU seconds used by a process since it started (cumulative: use rate()).",
    ["role"],
    multiprocess_mode="liveall",
)

_last_sample: dict[tuple[int, str], float] = {}  # (pid, role) -> monotonic time; a forked child starts afresh


def process_sample(*, role: str, force: bool = False) -> bool:
    """Record this process's RSS and CPU; returns whether a sample was taken."""
    pid = os.getpid()
    now = time.monotonic()
    if not force and now - _last_sample.get((pid, role), -SAMPLE_EVERY) < SAMPLE_EVERY:
        return False
    _last_sample[(pid, role)] = now
    proc = psutil.Process(pid)
    with proc.oneshot():
        rss = proc.memory_info().rss
        cpu = proc.cpu_times()
    RSS_BYTES.labels(role=role).set(rss)
    CPU_SECONDS.labels(role=role).set(cpu.user + cpu.system)
    return True


def process_exited(*, pid: int | None = None) -> None:
    """Drop an exited process's live gauges (gunicorn child_exit, Celery worker_process_shutdown)."""
    if not MULTIPROC_DIR:
        return
    from prometheus_client import multiprocess

    if pid is None or pid == os.getpid():
        identifier = process_identifier()
    else:
        identifier = process_identifier().rsplit("-", 1)[0] + f"-{pid}"
    multiprocess.mark_process_dead(identifier, MULTIPROC_DIR)
