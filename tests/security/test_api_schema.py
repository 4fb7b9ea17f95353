"""The REST API against its own OpenAPI schema (schemathesis): generated requests never get a 5xx.

In-process, through the WSGI application (the whole middleware stack), authenticated with a
staff member's API token, over data that exists: complaints to act on, a filtered message to
promote. Every operation in /api/schema/ is exercised, actions included.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from agents.tests.test_filtered_messages import filtered_message

from .conftest import create_complaint, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_ids(db) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Real ids for the path parameters, so that actions reach their code and not only the 404."""
    complaints = [
        create_complaint(status="pending"),
        create_complaint(status="in_progress"),
        create_complaint(status="resolved", resolved_at=timezone.now()),
    ]
    return {"complaints": [str(c.pk) for c in complaints], "messages": [str(filtered_message().pk)]}


@pytest.fixture
def supervisor_token(db) -> str:  # type: ignore[no-untyped-def]
    user = make_user("sue_api_supervisor", groups=("supervisors",))
    return Token.objects.create(user=user).key


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    """The WSGI application, called in-process inside the test's transaction.

    Django closes the database connection when a request finishes; Django's own test client
    switches that off for the duration of a request, and so must any other in-process client.
    """
    from complaintsite.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _application() -> object:
    from complaintsite.wsgi import application

    return application


def openapi_document() -> dict[str, Any]:
    """The document /api/schema/ serves, generated the same way (drf-spectacular) at collection time.

    Loaded here rather than fetched: the schema endpoint is staff-only, and schemathesis's lazy
    fixture loader does not run under this pytest.
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = _application()  # in-process: the calls go through the WSGI transport


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_api_operation_answers_a_server_error(case, wsgi_app, supervisor_token: str, known_ids) -> None:  # type: ignore[no-untyped-def]
    # Half the generated cases aim at a record that exists (chosen from the case itself, so a
    # failure reproduces); the other half keep hypothesis's made-up ids.
    pool = known_ids["messages"] if case.path.startswith("/api/v1/messages/") else known_ids["complaints"]
    digest = zlib.crc32(repr((case.path, case.path_parameters, case.body, case.query)).encode())
    if case.path_parameters and "id" in case.path_parameters and digest % 2:
        case.path_parameters["id"] = pool[digest % len(pool)]
    response = case.call(app=wsgi_app, headers={"Authorization": f"Token {supervisor_token}"})
    case.validate_response(response, checks=[not_a_server_error])


def test_the_fuzzed_schema_is_the_one_the_api_serves_and_lists_the_actions(client, supervisor_token: str) -> None:  # type: ignore[no-untyped-def]
    served = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Token {supervisor_token}")
    assert served.status_code == 200
    assert set(served.json()["paths"]) == set(DOCUMENT["paths"])
    assert "/api/v1/complaints/" in DOCUMENT["paths"]
    assert any(p.endswith("/resolve/") for p in DOCUMENT["paths"])
