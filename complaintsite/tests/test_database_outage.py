"""A PostgreSQL outage answers 503 + Retry-After (a page for people, JSON for clients), not 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client


@pytest.fixture
def database_down(transactional_db: None) -> Iterator[None]:
    """Point the default connection at a port nobody listens on: every query fails to connect."""
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port


@pytest.fixture
def client_no_raise(settings) -> Client:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_form_page_answers_503_page_when_the_database_is_down(database_down: None, client_no_raise: Client) -> None:
    response = client_no_raise.get("/complaints/new/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "text/html" in response["Content-Type"]
    assert b"briefly unavailable" in response.content


def test_api_answers_503_json_when_the_database_is_down(database_down: None, client_no_raise: Client) -> None:
    response = client_no_raise.get("/api/v1/complaints/", HTTP_AUTHORIZATION="Token 0123456789abcdef")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"error": "database temporarily unavailable, retry later"}


def test_other_errors_stay_500(client_no_raise: Client, monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    from ingestion.views import form

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(form, "render", broken)
    response = client_no_raise.get("/complaints/new/")

    assert response.status_code == 500
    assert "Retry-After" not in response
