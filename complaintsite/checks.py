"""System checks: a wrong configuration stops start-up with a message that names the variable."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.compatibility)
def configuration_check(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    lake = urlparse(settings.LAKE_URL)
    if lake.scheme not in {"file", "s3"}:
        problems.append(
            Error(f"LAKE_URL={settings.LAKE_URL!r} must start with file:// or s3://", id="complaintsite.E001")
        )
    elif lake.scheme == "file" and not lake.path.startswith("/"):
        problems.append(Error("LAKE_URL file:// needs an absolute path (file:///srv/lake)", id="complaintsite.E002"))
    elif lake.scheme == "s3" and not lake.netloc:
        problems.append(Error("LAKE_URL s3:// needs a bucket (s3://bucket/prefix)", id="complaintsite.E003"))
    for name in ("TIME_ZONE", "CALL_LOG_SOURCE_TZ"):
        try:
            ZoneInfo(getattr(settings, name))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Error(f"{name}={getattr(settings, name)!r} is not an IANA time zone", id="complaintsite.E004")
            )
    if not settings.DEBUG and settings.SECRET_KEY.startswith("insecure-"):
        problems.append(
            Error("SECRET_KEY is not set (only DEBUG=true may run with the development key)", id="complaintsite.E005")
        )
    if settings.PUBLIC_BASE_URL and urlparse(settings.PUBLIC_BASE_URL).scheme not in {"http", "https"}:
        problems.append(
            Error(f"PUBLIC_BASE_URL={settings.PUBLIC_BASE_URL!r} must be an http(s) URL", id="complaintsite.E006")
        )
    broker = urlparse(settings.CELERY_BROKER_URL).scheme
    if broker not in {"redis", "rediss", "filesystem", "amqp", "pyamqp", "memory"}:
        problems.append(Error(f"CELERY_BROKER_URL scheme {broker!r} is not supported", id="complaintsite.E007"))
    if settings.VONAGE_SIGNATURE_METHOD not in {"md5hash", "md5", "sha1", "sha256", "sha512"}:
        problems.append(
            Error("VONAGE_SIGNATURE_METHOD must be one of md5hash, md5, sha1, sha256, sha512", id="complaintsite.E008")
        )
    return problems
