"""The REST API as a script sees it: tokens, machine-readable errors, no reach past what the UI shows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agents.tests.conftest import client_for, create_complaint
from agents.tests.test_filtered_messages import filtered_message
from warehouse.models import ComplaintEvent

pytestmark = pytest.mark.django_db


def token_client(user) -> Client:  # type: ignore[no-untyped-def]
    """A script: a token header, no session, no CSRF cookie."""
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", enforce_csrf_checks=True)


# --- reach: an agent may not write to, or read back, a complaint the UI would not show them ----
@pytest.mark.parametrize(("action", "body"), [("note", {"note": "peek"}), ("relabel", {"category": "delivery"})])
def test_an_agent_cannot_note_or_relabel_a_complaint_out_of_their_sight(agent, other_agent, action, body) -> None:
    theirs = create_complaint(status="resolved", assigned_to=other_agent, contact_email="private@example.com")
    client = token_client(agent)
    assert client.get(f"/api/v1/complaints/{theirs.pk}/").status_code == 404
    response = client.post(f"/api/v1/complaints/{theirs.pk}/{action}/", body, content_type="application/json")
    assert response.status_code == 404
    assert "private@example.com" not in response.content.decode()
    assert ComplaintEvent.objects.filter(complaint=theirs).count() == 1  # only "created"
    theirs.refresh_from_db()
    assert theirs.category == "billing"


def test_an_agent_still_notes_their_own_closed_complaint_and_a_supervisor_anyones(
    agent, other_agent, supervisor
) -> None:
    mine = create_complaint(status="resolved", assigned_to=agent)
    theirs = create_complaint(status="resolved", assigned_to=other_agent)
    note = {"note": "Customer wrote back, all fine."}
    assert token_client(agent).post(f"/api/v1/complaints/{mine.pk}/note/", note, "application/json").status_code == 200
    response = token_client(supervisor).post(f"/api/v1/complaints/{theirs.pk}/note/", note, "application/json")
    assert response.status_code == 200 and response.json()["history"][-1]["note"] == note["note"]


# --- unknown paths, malformed ids and missing slashes under the prefix --------------------------
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/complaints/not-a-uuid/", "/api/v1/complaints/x/y/z"])
def test_an_unknown_api_path_is_a_json_404(agent, path: str) -> None:
    response = token_client(agent).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_api_path_tells_an_outsider_nothing(customer) -> None:
    assert Client().get("/api/v1/nope/").status_code == 401
    assert token_client(customer).get("/api/v1/nope/").status_code == 403


def test_a_missing_trailing_slash_keeps_the_method_and_the_query(agent) -> None:
    complaint = create_complaint()
    client = token_client(agent)
    listed = client.get("/api/v1/complaints?source=sms")
    assert (listed.status_code, listed["Location"]) == (308, "/api/v1/complaints/?source=sms")
    # A POST must not become a GET (301) or an exception (APPEND_SLASH under DEBUG): 308 keeps it.
    posted = client.post(f"/api/v1/complaints/{complaint.pk}/note", {"note": "hi"}, content_type="application/json")
    assert (posted.status_code, posted["Location"]) == (308, f"/api/v1/complaints/{complaint.pk}/note/")
    followed = client.post(
        f"/api/v1/complaints/{complaint.pk}/note", {"note": "hi"}, content_type="application/json", follow=True
    )
    assert followed.status_code == 200 and followed.json()["history"][-1]["note"] == "hi"


# --- the filtered messages' list: bad input is a 400, not a silently wider answer ---------------
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?reason=pigeon", "reason"),
        ("?after=garbage", "after"),
        (f"?after=2026-11-25T10:00:00|{uuid.uuid4()}", "after"),  # no offset: which zone?
        (f"?after=2026-11-25T10:00:00 00:00|{uuid.uuid4()}", "after"),  # a '+' sent unencoded
    ],
)
def test_filtered_messages_reject_an_unknown_reason_or_a_mangled_cursor(agent, query: str, field: str) -> None:
    filtered_message()
    response = token_client(agent).get(f"/api/v1/messages/filtered/{query}")
    assert response.status_code == 400
    assert set(response.json()) == {field}


def test_filtered_messages_page_on_with_next_after(agent) -> None:
    now = timezone.now()
    made = [filtered_message(text=f"message {i}", received_at=now - timedelta(minutes=i)) for i in range(55)]
    client = token_client(agent)
    first = client.get("/api/v1/messages/filtered/").json()
    second = client.get("/api/v1/messages/filtered/", {"after": first["next_after"]}).json()
    assert second["next_after"] is None
    assert [r["id"] for r in first["results"] + second["results"]] == [str(m.id) for m in made]


def test_the_schema_describes_the_filtered_messages_page_as_served(agent) -> None:
    operation = client_for(agent).get("/api/schema/?format=json").json()["paths"]["/api/v1/messages/filtered/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"reason", "q", "after"}
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/FilteredMessagePage")


# --- pages and bulk answers -------------------------------------------------------------------
@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_page_size_below_one_is_a_400(agent, size: str) -> None:
    response = token_client(agent).get(f"/api/v1/complaints/?page_size={size}")
    assert response.status_code == 400 and "page_size" in response.json()


def test_a_page_size_above_the_limit_gets_the_largest_page(agent) -> None:
    for _ in range(3):
        create_complaint()
    response = token_client(agent).get("/api/v1/complaints/?page_size=100000")
    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_bulk_answers_name_the_ids_that_matched_nothing(agent) -> None:
    complaint = create_complaint()
    ghost = uuid.uuid4()
    response = token_client(agent).post(
        "/api/v1/complaints/bulk/resolve/",
        {"ids": [str(complaint.pk), str(ghost), str(ghost)], "note": "Outage fixed"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["done"] == [complaint.reference]
    assert body["conflicts"] == [{"reference": "", "id": str(ghost), "reason": "not found"}]


# --- a token client needs no CSRF token; and the list costs the same queries for 5 rows or 50 ---
def test_a_token_client_acts_without_csrf_and_a_session_one_needs_it(agent) -> None:
    complaint = create_complaint()
    assert (
        token_client(agent).post(f"/api/v1/complaints/{complaint.pk}/assign/", {}, "application/json").status_code
        == 200
    )
    session = Client(enforce_csrf_checks=True)
    session.force_login(agent)
    refused = session.post(f"/api/v1/complaints/{complaint.pk}/note/", {"note": "x"}, "application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_a_page_of_fifty_costs_no_more_queries_than_a_page_of_five(agent, other_agent) -> None:
    client = token_client(agent)

    def queries(n: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/complaints/?page_size={n}&status=all")
        assert response.status_code == 200 and len(response.json()["results"]) == n
        return len(captured)

    for i in range(60):
        create_complaint(assigned_to=(agent, other_agent, None)[i % 3])
    assert queries(50) == queries(5)
