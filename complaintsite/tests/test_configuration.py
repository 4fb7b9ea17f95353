"""A wrong configuration is caught by Django's system checks at start-up, naming the variable."""

from __future__ import annotations

from complaintsite.checks import configuration_check
from complaintsite.env import ImproperEnv, env_bool, parse_admins, parse_email_url


def ids(settings) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(problem.id) for problem in configuration_check(None)}


def test_the_test_configuration_is_clean(settings) -> None:
    assert ids(settings) == set()


def test_a_lake_url_with_an_unknown_scheme_is_an_error(settings) -> None:
    settings.LAKE_URL = "ftp://lake"
    assert "complaintsite.E001" in ids(settings)


def test_an_unknown_time_zone_is_an_error(settings) -> None:
    settings.TIME_ZONE = "Mars/Olympus"
    assert "complaintsite.E004" in ids(settings)


def test_production_without_a_secret_key_is_an_error(settings) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = "insecure-dev-key-set-SECRET_KEY-in-production"
    assert "complaintsite.E005" in ids(settings)


def test_env_helpers_parse_admins_email_urls_and_booleans(monkeypatch) -> None:
    assert parse_admins("Ann <ann@example.com>, ops@example.com") == [
        ("Ann", "ann@example.com"),
        ("ops@example.com", "ops@example.com"),
    ]
    smtp = parse_email_url("smtp://user:p%40ss@mail.example.com:587?tls=1")
    assert smtp["EMAIL_HOST"] == "mail.example.com" and smtp["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_PORT"] == 587
    monkeypatch.setenv("FLAG", "maybe")
    try:
        env_bool("FLAG")
    except ImproperEnv as exc:
        assert "FLAG" in str(exc)
    else:
        raise AssertionError("a non-boolean must be refused")
