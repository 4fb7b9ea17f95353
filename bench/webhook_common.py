"""What the webhook benchmark's pieces share: paths, the bench database, the signed request, and
the environment every process of the run gets (production settings, fsync on)."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- webhook-bench:start -->", "<!-- webhook-bench:end -->"

DB_NAME = "bench_webhooks"
PG_DSN = os.environ.get("BENCH_PG_DSN", "postgres://postgres@127.0.0.1:5432")
# A Redis database of its own, flushed by every run: not 15 (the tests' default) nor one of the
# low numbers that parallel test sessions are given.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://complaints.example.com"
BODY = (ROOT / "ingestion" / "tests" / "payloads" / "twilio_sms.txt").read_bytes()
SIGNATURE = "vOz9RiMlIMXAtINswIyDN4vtMwQ="  # the stored payload's recorded X-Twilio-Signature


def bench_env(lake_dir: Path) -> dict[str, str]:
    # Metrics in multi-process mode as deployed; prometheus_client switches it on by the variable's
    # mere presence, so an empty value would scatter its files into the working folder.
    metrics_dir = lake_dir.parent / "prometheus"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webhook_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
        "DATABASE_URL": f"{PG_DSN}/{DB_NAME}",
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": REDIS_URL,
        "LAKE_URL": lake_dir.as_uri(),
        "LAKE_FSYNC": "true",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
