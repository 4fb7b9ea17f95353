"""The embedded default of `make run` (SQLite, file lake, file-system broker) takes a form submission,
a signed webhook and a call-log file through to the warehouse, in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.tests.webhook_helpers import PUBLIC_BASE_URL, TWILIO_TOKEN

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("classifier_model_dir")  # exports CLASSIFIER_MODEL_DIR to the child
def test_form_webhook_and_call_log_reach_the_warehouse_on_sqlite(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "LAKE_URL", "TEST_DATABASE_NAME"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "complaintsite.settings.base",
            "DEBUG": "true",
            "VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
            "LAKE_URL": (tmp_path / "lake").as_uri(),
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "CALL_LOG_PROCESSES": "2",
            "PYTHONPATH": str(ROOT),
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        }
    )
    (tmp_path / "lake").mkdir()
    for folder in ("var/broker/queue", "var/broker/processed", "var/broker/control"):
        (tmp_path / folder).mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "embedded" / "sqlite_smoke.py")],
        cwd=tmp_path,  # nothing may be written to the working folder (kombu's default ./control was)
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["database"] == "sqlite"
    assert (result["form_status"], result["webhook_status"]) == (302, 200)
    assert result["raw_events"] == [
        ["call_log", "processed"],
        ["twilio", "processed"],
        ["web_form", "processed"],
    ]
    assert result["calls"] == 5
    assert result["messages"] == 7 and result["unrouted"] == 0
    assert result["complaints"] >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["embedded.sqlite3", "lake", "var"]
