"""Every staff URL refuses anonymous visitors, customers and staff without a role, for GET and POST.

The agents' tests check their pages one by one; this cross-check walks the URL configuration,
so a view added later under /agents/, /api/ or /dashboard/ is covered without anyone listing
it here. A refused POST must also change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from warehouse.models import Complaint, ComplaintEvent

from .conftest import client_for, create_complaint

pytestmark = pytest.mark.django_db

STAFF_PREFIXES = ("agents/", "api/", "dashboard/")
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def routes(patterns: list[object] | None = None, prefix: str = "") -> Iterator[str]:
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)  # type: ignore[attr-defined]
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def staff_routes() -> list[str]:
    found = sorted({r for r in routes() if r.startswith(STAFF_PREFIXES)})
    assert len(found) >= 10, found  # the walk itself must see the agents' and the API's views
    return found


def concrete(route: str, complaint: Complaint, message_id: str) -> str:
    def fill(match: re.Match[str]) -> str:
        kind = match.group("kind") or "str"
        if kind == "uuid":
            return message_id if "messages/" in route else str(complaint.pk)
        if kind == "int":
            return "0"
        if kind == "slug":
            return "resolve" if match.group("name") == "action" else "volume"
        return "x"

    return "/" + CONVERTER.sub(fill, route.lstrip("^").rstrip("$"))


@pytest.fixture
def complaint() -> Complaint:
    return create_complaint()


def _refused(status: int, *, api: bool) -> bool:
    # Anonymous: a redirect to the login page (UI) or 401/403 (API). Logged in without rights: 403
    # (or the login redirect). Never 200, never a 5xx; 405 where the method does not exist at all.
    return status in ((401, 403, 405) if api else (302, 403, 405))


@pytest.mark.parametrize("persona", [None, "customer", "staff_without_group"])
def test_every_staff_url_refuses_anyone_without_a_role_and_changes_nothing(request, persona, complaint) -> None:
    """staff_without_group is the analyst's Django account: dashboards to read, nothing to write."""
    user = request.getfixturevalue(persona) if persona else None
    client = client_for(user)
    events_before = ComplaintEvent.objects.count()
    checked = 0
    for route in staff_routes():
        url = concrete(route, complaint, message_id=str(complaint.message_id))
        api = url.startswith("/api/")
        for method in ("get", "post"):
            if persona == "staff_without_group" and url.startswith("/dashboard/") and method == "get":
                continue  # dashboards are for all staff (issue 7)
            response = getattr(client, method)(url, {"note": "x", "category": "billing", "assignee": "1"})
            assert _refused(response.status_code, api=api), (persona, method, url, response.status_code)
            checked += 1
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PENDING and complaint.assigned_to is None
    assert ComplaintEvent.objects.count() == events_before
    assert checked >= 20


def test_an_api_token_of_a_user_without_a_role_is_refused(customer, complaint) -> None:
    token = Token.objects.create(user=customer)
    client = client_for(None)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/v1/complaints/", **auth).status_code == 403
    assert client.post(f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "x"}, **auth).status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PENDING


def test_a_made_up_token_is_refused() -> None:
    response = client_for(None).get("/api/v1/complaints/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401


def test_the_walk_covers_the_agents_queue_and_the_api_list() -> None:
    found = staff_routes()
    assert "agents/" in found and "api/v1/complaints/" in found and "dashboard/" in found
