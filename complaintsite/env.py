"""Typed readers for settings that come from the environment.

Kept tiny on purpose: every integration is switched on by its own variable, and a
malformed value fails at start-up with the variable's name in the message.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse


class ImproperEnv(ValueError):
    pass


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperEnv(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperEnv(f"{name}={raw!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperEnv(f"{name}={raw!r} is not a number") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_admins(raw: str) -> list[tuple[str, str]]:
    """`ADMINS="Ann <ann@example.com>, ops@example.com"` -> [(name, email), ...]."""
    admins: list[tuple[str, str]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if "<" in item and item.endswith(">"):
            name, _, email = item[:-1].partition("<")
            admins.append((name.strip() or email.strip(), email.strip()))
        else:
            admins.append((item, item))
    return admins


def parse_email_url(url: str) -> dict[str, object]:
    """Turn EMAIL_URL into Django e-mail settings.

    smtp://user:pass@host:587?tls=1, smtps://... (implicit TLS), console://, locmem://, dummy://
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "submission": "django.core.mail.backends.smtp.EmailBackend",
    }
    if scheme not in backends:
        raise ImproperEnv(f"EMAIL_URL scheme {scheme!r} is not one of {sorted(backends)}")
    config: dict[str, object] = {"EMAIL_BACKEND": backends[scheme]}
    if scheme in {"smtp", "smtps", "submission"}:
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        config.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or {"smtp": 25, "smtps": 465, "submission": 587}[scheme],
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=scheme == "smtps" or query.get("ssl") in {"1", "true"},
            EMAIL_USE_TLS=scheme == "submission" or query.get("tls") in {"1", "true"},
        )
    return config
