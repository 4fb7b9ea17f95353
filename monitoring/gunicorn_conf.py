"""gunicorn settings hook: `gunicorn -c python:monitoring.gunicorn_conf complaintsite.wsgi`.

Only what multi-process metrics need: when a web worker exits, its live gauges (RSS, CPU) are
dropped from PROMETHEUS_MULTIPROC_DIR; its counters stay, as counters should.
"""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    from metrics.process import process_exited

    process_exited(pid=worker.pid)
