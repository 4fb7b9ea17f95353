"""The classifier's errors, importable without loading spaCy (the web process and task modules need them)."""

from __future__ import annotations


class ClassifierNotReady(RuntimeError):
    """No usable model: missing, half-written or unreadable. The message says what to run.

    Retried by the ingestion task (a worker may start before the first model is trained).
    """
