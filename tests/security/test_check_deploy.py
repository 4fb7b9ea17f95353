"""`manage.py check --deploy` is clean with production settings, run as production runs it.

A subprocess with a production-like environment (DEBUG off, a real secret key, TLS behind a
proxy, HSTS, secure cookies) and the base settings module, not the test overlay: the check sees
exactly what a deployment would load. Warnings fail too (`--fail-level WARNING`).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "complaintsite.settings.base",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "complaints.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://complaints.example.com",
    "PUBLIC_BASE_URL": "https://complaints.example.com",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_COOKIES": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "postgres://complaints@127.0.0.1:5432/complaints",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "LAKE_URL": "s3://complaints-lake/lake",
    "EMAIL_URL": "smtp://mailer@127.0.0.1:587?tls=1",
    "ADMINS": "Ops <ops@example.com>",
}


def check_deploy(**overrides: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV")}
    env = {**keep, **PRODUCTION, **overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    done = check_deploy()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_check_fails_when_production_settings_slip() -> None:
    """The clean run above means something: DEBUG on, insecure cookies and no HSTS are each caught."""
    done = check_deploy(DEBUG="true", SECURE_COOKIES="false", SECURE_HSTS_SECONDS="0")
    assert done.returncode != 0
    for warning in ("security.W018", "security.W012", "security.W016", "security.W004"):
        assert warning in done.stdout + done.stderr
