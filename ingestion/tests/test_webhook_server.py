"""The webhook server as deployed (gunicorn's gevent workers, complaintsite/gunicorn_webhooks.py),
over real HTTP: concurrent signed deliveries are each made durable once (a ledger row, a lake
object and a queued task for every 200), bad ones are refused as on the site's server, and the
accept path holds one PostgreSQL connection per worker however many deliveries are in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis as redis_lib
import requests
from django.conf import settings as django_settings
from django.db import connection

from conftest import free_port, wait_for
from ingestion.models import RawEvent
from ingestion.signatures import twilio_signature
from ingestion.tests.webhook_helpers import PUBLIC_BASE_URL, TWILIO_PATH, TWILIO_TOKEN, TWILIO_URL
from monitoring.tests.conftest import RedisServer

pytest.importorskip("gevent")

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


@pytest.fixture
def webhook_server(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """gunicorn with the webhook server's settings on a free port, its own Redis and lake."""
    broker = RedisServer(tmp_path)
    broker.start()
    lake_dir = tmp_path / "lake"
    db = django_settings.DATABASES["default"]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "complaintsite.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": "webhook-server-test-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": broker.url,
        "LAKE_URL": lake_dir.as_uri(),
        "LAKE_FSYNC": "true",
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "WEBHOOK_WORKERS": str(WORKERS),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "complaintsite.wsgi:application",
            "-c",
            "python:complaintsite.gunicorn_webhooks",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base), timeout=60)
        yield base, lake_dir, broker.url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        broker.stop()


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def _delivery(sid: str) -> tuple[bytes, dict[str, str]]:
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+447700900123",
        "To": "+447700900999",
        "Body": f"My parcel never arrived, order {sid[-6:]}. Third time I am asking!",
        "NumMedia": "0",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(url=TWILIO_URL, params=params, auth_token=TWILIO_TOKEN),
    }
    return urlencode(params).encode(), headers


def _backend_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_are_each_durable_once_through_the_gevent_workers(
    webhook_server: tuple[str, Path, str],
) -> None:
    base, lake_dir, broker_url = webhook_server
    backends_before = _backend_count()
    deliveries = [_delivery("SM" + uuid.uuid4().hex) for _ in range(120)]
    # Every delivery sent, and the first 20 sent a second time at once (a provider's retry).
    sends = deliveries + deliveries[:20]

    def post(delivery: tuple[bytes, dict[str, str]]) -> int:
        body, headers = delivery
        return requests.post(base + TWILIO_PATH, data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=48) as pool:
        statuses = list(pool.map(post, sends))
    assert statuses == [200] * len(sends)
    # A row, a lake object and a task for every 200: the retries are accepted as deliveries of
    # their own and become one message later, by the provider's id (the worker's job).
    assert RawEvent.objects.count() == len(sends)
    objects = [p for p in (lake_dir / "raw").rglob("*") if p.is_file()]
    assert len(objects) == len(sends)
    keys = RawEvent.objects.values_list("lake_key", flat=True)
    assert sorted(p.name for p in objects) == sorted(key.rsplit("/", 1)[1] for key in keys)
    assert redis_lib.Redis.from_url(broker_url).llen("celery") == len(sends)
    # The accept path's connection is the worker's, not one per request in flight.
    assert _backend_count() - backends_before <= WORKERS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_gevent_workers_refuse_what_the_site_refuses(webhook_server: tuple[str, Path, str]) -> None:
    base, _, _ = webhook_server
    body, headers = _delivery("SM" + uuid.uuid4().hex)
    forged = {**headers, "X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    assert requests.post(base + TWILIO_PATH, data=body, headers=forged, timeout=30).status_code == 403
    unsigned = {"Content-Type": headers["Content-Type"]}
    assert requests.post(base + TWILIO_PATH, data=body, headers=unsigned, timeout=30).status_code == 403
    too_big = requests.post(base + TWILIO_PATH, data=b"Body=" + b"x" * (1024 * 1024 + 1), headers=headers, timeout=30)
    assert too_big.status_code == 413
    assert RawEvent.objects.count() == 0
    assert requests.post(base + TWILIO_PATH, data=body, headers=headers, timeout=30).status_code == 200
    assert RawEvent.objects.count() == 1
