"""Multi-process mode: every process writes its own mmap files, /metrics sums them at scrape time.

gunicorn forks several web processes and Celery several worker processes; each keeps its
counters in memory, so one process's /metrics would show a fraction of the truth. With
PROMETHEUS_MULTIPROC_DIR set (in the environment, before any process starts), prometheus_client
writes each process's values to `<dir>/<type>_<process id>.db` and the /metrics view merges them.

This module must be imported before any metric is created: metrics/__init__.py does it first.
"""

from __future__ import annotations

import os
import socket

from prometheus_client import values

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Web and worker containers share one volume for the files, and each container numbers its
# processes from 1: the host name keeps their files apart. "_" separates fields in the file
# name that the collector parses, so it must not appear inside the identifier.
_HOST = socket.gethostname().replace("_", "-") or "host"


def process_identifier() -> str:
    return f"{_HOST}-{os.getpid()}"


if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identifier)


def is_multiprocess() -> bool:
    return bool(MULTIPROC_DIR)
