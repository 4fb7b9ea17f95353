"""Multi-process metrics: what gunicorn's and Celery's processes count is summed by /metrics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from kombu import Connection
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from complaintsite.celery import app as celery_app
from conftest import wait_for
from ingestion.models import RawEvent
from lake import Lake
from monitoring.models import Heartbeat

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_from_several_processes_are_summed_and_each_process_gauge_kept(tmp_path: Path) -> None:
    for _ in range(3):  # three "worker" processes, one after the other
        run(
            "import metrics; metrics.record_message_received(source='sms', channel='sms'); "
            "metrics.record_task_failure(task='t'); metrics.process_sample(role='worker', force=True)",
            tmp_path,
        )
    text = run("from metrics.exposition import metrics_render; print(metrics_render()[0].decode())", tmp_path)
    samples = parse(text)
    assert samples[("complaints_messages_received_total", frozenset({("source", "sms"), ("channel", "sms")}))] == 3
    assert samples[("complaints_task_failures_total", frozenset({("task", "t")}))] == 3
    rss = [v for (name, labels), v in samples.items() if name == "complaints_process_resident_memory_bytes"]
    assert len(rss) == 3 and all(v > 0 for v in rss)  # one per process, labelled with host-pid


def test_an_exited_process_drops_its_live_gauges_but_keeps_its_counts(tmp_path: Path) -> None:
    run(
        "import os, metrics; metrics.record_task_retry(task='t'); metrics.process_sample(role='worker', force=True); "
        "metrics.process_exited(pid=os.getpid())",
        tmp_path,
    )
    samples = parse(run("from metrics.exposition import metrics_render; print(metrics_render()[0].decode())", tmp_path))
    assert samples[("complaints_task_retries_total", frozenset({("task", "t")}))] == 1
    assert not [name for name, _ in samples if name == "complaints_process_resident_memory_bytes"]


# --- a real Celery worker ---------------------------------------------------------------------
@pytest.fixture
def metered_worker(own_redis, tmp_path: Path, settings) -> Iterator[tuple[Path, str]]:  # type: ignore[no-untyped-def]
    """A `celery worker` (prefork, 2 children) with PROMETHEUS_MULTIPROC_DIR, on its own Redis."""
    directory = tmp_path / "prometheus"
    db = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "complaintsite.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": own_redis.url,
        "LAKE_URL": (tmp_path / "lake").as_uri(),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "complaintsite",
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=WARNING",
            "-n",
            f"metered-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    settings.CELERY_BROKER_URL = own_redis.url
    celery_app.conf.task_always_eager = False
    try:
        yield directory, env["LAKE_URL"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reports_its_heartbeat_failures_and_memory_through_the_shared_directory(
    metered_worker: tuple[Path, str], own_redis
) -> None:
    directory, lake_url = metered_worker
    now = timezone.now()
    key = f"raw/sms/{uuid.uuid4()}.form"
    Lake(lake_url).write(key, b"From=%2B447700900123&Body=hello")  # bytes that no adapter is registered for
    event = RawEvent.objects.create(
        source="sms",
        provider="no-such-provider",
        lake_key=key,
        sha256="0" * 64,
        size=1,
        received_at=now,
        enqueued_at=now,
    )
    with Connection(own_redis.url) as conn:
        celery_app.send_task("monitoring.heartbeat", connection=conn)
        celery_app.send_task("ingestion.process_raw_event", args=[str(event.id)], connection=conn)

    wait_for(lambda: Heartbeat.objects.filter(component="worker").exists(), timeout=90)
    # The worker's failure hook, in the worker process: the event is failed, not left `processing`.
    wait_for(lambda: RawEvent.objects.get(id=event.id).status == RawEvent.Status.FAILED, timeout=60)
    assert "no adapter" in RawEvent.objects.get(id=event.id).error

    def read() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(directory))
        return parse(generate_latest(registry).decode())

    failures = ("complaints_task_failures_total", frozenset({("task", "ingestion.process_raw_event")}))
    samples = wait_for(lambda: (s := read()).get(failures) == 1 and s, timeout=30)
    workers = [
        v
        for (name, labels), v in samples.items()
        if name == "complaints_process_resident_memory_bytes" and ("role", "worker") in labels
    ]
    assert workers and all(v > 10 * 1024 * 1024 for v in workers)
