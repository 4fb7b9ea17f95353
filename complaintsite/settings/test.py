"""The test overlay: real PostgreSQL and Redis by default, fast hashing, mail kept in memory."""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/complaints")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from complaintsite.settings.base import *  # noqa: F403
from complaintsite.settings.base import DATABASES, VAR_DIR

SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ADMINS = [("Ops", "ops@example.com")]
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_complaints")}
# Each test session points LAKE_URL at its own temporary folder or S3 bucket (conftest).
LAKE_URL = os.environ.get("LAKE_URL") or (VAR_DIR / "test-lake").as_uri()
LAKE_FSYNC = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
