"""Shared fixtures: real PostgreSQL (pytest-django), real Redis, moto's S3 server, Celery.

Services are real and reached over real connections; only what lies outside the machine
(providers' outbound APIs, SMTP) is replaced.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import redis as redis_lib
from django.conf import settings as django_settings

from complaintsite.celery import app as celery_app
from lake import Lake, get_lake, reset_lake_cache

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parent
TEST_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy; return its value or fail with the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# --- S3: moto's standalone server on a free loopback port ---------------------------------
@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _port_open(port), timeout=30)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def s3_lake(s3_server: str, settings) -> Iterator[Lake]:  # type: ignore[no-untyped-def]
    """The lake on the S3 server, in a bucket of its own."""
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).create_bucket(Bucket=bucket)
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_ACCESS_KEY_ID = "test"
    settings.AWS_SECRET_ACCESS_KEY = "test"
    settings.LAKE_URL = f"s3://{bucket}/lake"
    reset_lake_cache()
    yield get_lake()
    reset_lake_cache()


@pytest.fixture(autouse=True)
def file_lake(tmp_path: Path, settings) -> Iterator[Lake]:  # type: ignore[no-untyped-def]
    """Every test gets an empty file-system lake of its own (s3_lake overrides it)."""
    settings.LAKE_URL = (tmp_path / "lake").as_uri()
    reset_lake_cache()
    yield get_lake()
    reset_lake_cache()


@pytest.fixture
def durable_file_lake(file_lake: Lake, settings) -> Iterator[Lake]:  # type: ignore[no-untyped-def]
    """The file lake as deployed, fsync on (the tests' settings turn it off for speed): objects
    on the accept path are staged and committed as a group (lake/staging.py)."""
    settings.LAKE_FSYNC = True
    reset_lake_cache()
    yield get_lake()
    reset_lake_cache()


# --- Redis and Celery ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_client() -> redis_lib.Redis:
    client = redis_lib.Redis.from_url(TEST_REDIS_URL)
    client.ping()
    return client


@pytest.fixture(scope="session", autouse=True)
def _clean_test_redis(redis_client: redis_lib.Redis) -> None:
    redis_client.flushdb()


@pytest.fixture(autouse=True)
def celery_eager() -> Iterator[None]:
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _default_categories(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the tables data migrations filled: put the taxonomy and staff groups back."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
        from django.contrib.auth.models import Group

        from classification.services import categories_ensure_defaults

        categories_ensure_defaults()
        for name in ("agents", "supervisors"):  # agents/migrations/0001_staff_groups.py
            Group.objects.get_or_create(name=name)


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _close_ledger_connection() -> Iterator[None]:
    """The accept group's connection is the process's own (ingestion/ledger_connection.py): a
    test that opened it closes it, or the test database could not be dropped at the end."""
    yield
    from ingestion import ledger_connection

    ledger_connection.close()


@pytest.fixture(scope="session")
def worker_lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-lake")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, worker_lake_dir: Path) -> Iterator[subprocess.Popen]:  # type: ignore[no-untyped-def,type-arg]
    """A real `celery worker` process on the real Redis broker and the test database."""
    db = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "complaintsite.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": TEST_REDIS_URL,
        "LAKE_URL": worker_lake_dir.as_uri(),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "complaintsite",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "-n",
            f"test-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: celery_app.control.ping(timeout=0.5) or proc.poll() is not None, timeout=60)
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: {proc.stdout.read() if proc.stdout else ''}")
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def real_worker(celery_worker_process, worker_lake_dir: Path, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Use in transactional tests: tasks go through Redis to the real worker, same lake."""
    celery_app.conf.task_always_eager = False
    settings.LAKE_URL = worker_lake_dir.as_uri()
    reset_lake_cache()
    yield
    reset_lake_cache()


# --- the classifier: a real small model, trained once per corpus version (classification/testing.py) ---
@pytest.fixture(scope="session", autouse=True)
def classifier_model_dir() -> Iterator[Path]:
    """Point CLASSIFIER_MODEL_DIR at a real model trained on the corpus (cached under var/test-models/)."""
    from django.test import override_settings

    from classification.model import reset_classifier_cache
    from classification.testing import session_model_dir

    path = session_model_dir(Path(django_settings.VAR_DIR) / "test-models")
    previous = os.environ.get("CLASSIFIER_MODEL_DIR")
    os.environ["CLASSIFIER_MODEL_DIR"] = str(path)  # a real Celery worker subprocess inherits it
    try:
        with override_settings(CLASSIFIER_MODEL_DIR=path):
            reset_classifier_cache()
            yield path
    finally:
        reset_classifier_cache()
        if previous is None:
            os.environ.pop("CLASSIFIER_MODEL_DIR", None)
        else:
            os.environ["CLASSIFIER_MODEL_DIR"] = previous


# --- browser tests: Debian's Chromium driven by Playwright (its own browser download cannot work) ---
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"  # kept by CI, ignored by git


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for every browser test of the run; each test opens its own context (page)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    # Playwright's sync API runs an event loop; Django must not mistake the test for async code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages, each in a context of its own (options as for new_context), all closed after the test.

    London time unless a test says otherwise, so dates on the page do not depend on the machine's zone;
    15 s for any wait, so a page that never shows something fails the test well before Playwright's 30 s.
    """
    contexts: list[BrowserContext] = []

    def open_(**context_options: Any) -> Page:
        context_options.setdefault("timezone_id", "Europe/London")
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> None:
    """Save the whole page as artifacts/<name>.png, for a person to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
