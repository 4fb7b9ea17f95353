"""Who gets in: anonymous, customer, staff without a role, agent, supervisor, admin; UI and API alike."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from agents.tests.conftest import body_of, client_for, create_complaint
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db

UI_PAGES = ["/agents/", "/agents/messages/filtered/"]
API_PAGES = ["/api/v1/complaints/", "/api/v1/messages/filtered/", "/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("url", UI_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(url: str) -> None:
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", ["/api/v1/complaints/", "/api/v1/messages/filtered/"])
def test_anonymous_api_calls_get_401_with_a_token_challenge(url: str) -> None:
    response = client_for(None).get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", UI_PAGES + API_PAGES)
def test_a_logged_in_customer_is_refused(customer, url: str) -> None:
    assert client_for(customer).get(url).status_code == 403


@pytest.mark.parametrize("url", [*UI_PAGES, "/api/v1/complaints/"])
def test_staff_without_the_agents_or_supervisors_group_is_refused(staff_without_group, url: str) -> None:
    assert client_for(staff_without_group).get(url).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "supervisor", "admin_user"])
@pytest.mark.parametrize("url", UI_PAGES + API_PAGES)
def test_agents_supervisors_and_admins_get_in(request, persona: str, url: str) -> None:
    user = request.getfixturevalue(persona)
    assert client_for(user).get(url).status_code == 200


def test_a_customer_cannot_see_or_act_on_a_complaint(customer) -> None:
    complaint = create_complaint()
    client = client_for(customer)
    assert client.get(f"/agents/complaints/{complaint.pk}/").status_code == 403
    assert client.post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "x"}).status_code == 403
    assert client.post(f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "x"}).status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.PENDING


def test_a_customer_cannot_fetch_an_attachment(customer, file_lake) -> None:
    file_lake.write("attachments/web_form/2026/11/25/x/1.png", b"\x89PNG\r\n\x1a\nsecret")
    complaint = create_complaint(
        attachments=[{"lake_key": "attachments/web_form/2026/11/25/x/1.png", "content_type": "image/png"}]
    )
    assert client_for(customer).get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 403
    assert client_for(None).get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 302


def test_agents_see_the_open_queue_and_their_own_closed_complaints_but_not_others_closed(agent, other_agent) -> None:
    open_one = create_complaint()
    mine_resolved = create_complaint(status=Complaint.Status.RESOLVED, assigned_to=agent)
    theirs_resolved = create_complaint(status=Complaint.Status.RESOLVED, assigned_to=other_agent)
    client = client_for(agent)
    assert client.get(f"/agents/complaints/{open_one.pk}/").status_code == 200
    assert client.get(f"/agents/complaints/{mine_resolved.pk}/").status_code == 200
    assert client.get(f"/agents/complaints/{theirs_resolved.pk}/").status_code == 404
    assert client.get(f"/api/v1/complaints/{theirs_resolved.pk}/").status_code == 404
    listed = client.get("/api/v1/complaints/?status=all").json()["results"]
    assert {row["reference"] for row in listed} == {open_one.reference, mine_resolved.reference}


def test_supervisors_see_everything(supervisor, other_agent) -> None:
    theirs_resolved = create_complaint(status=Complaint.Status.RESOLVED, assigned_to=other_agent)
    dismissed = create_complaint(status=Complaint.Status.DISMISSED)
    client = client_for(supervisor)
    assert client.get(f"/agents/complaints/{theirs_resolved.pk}/").status_code == 200
    listed = client.get("/api/v1/complaints/?status=all").json()["results"]
    assert {row["reference"] for row in listed} == {theirs_resolved.reference, dismissed.reference}


def test_an_agent_cannot_resolve_a_complaint_assigned_to_someone_else_but_a_supervisor_can(
    agent, other_agent, supervisor
) -> None:
    complaint = create_complaint(assigned_to=other_agent)
    response = client_for(agent).post(f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "done"})
    assert response.status_code == 409
    assert "assigned to bob" in response.json()["detail"]
    response = client_for(supervisor).post(f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "done"})
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"


def test_only_supervisors_assign_to_someone_else(agent, other_agent, supervisor) -> None:
    complaint = create_complaint()
    response = client_for(agent).post(
        f"/api/v1/complaints/{complaint.pk}/assign/", {"user_id": other_agent.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    response = client_for(agent).post(
        f"/agents/complaints/{complaint.pk}/assign/", {"assignee": other_agent.pk}, follow=True
    )
    assert "Only supervisors assign" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.assigned_to is None
    response = client_for(supervisor).post(
        f"/api/v1/complaints/{complaint.pk}/assign/", {"user_id": other_agent.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["assigned_to"]["username"] == "bob"


def test_only_admins_read_the_raw_event(agent, supervisor, admin_user, file_lake) -> None:
    from ingestion.models import RawEvent

    file_lake.write("raw/sms/2026/11/25/10/x.form", b"Body=My+bill+is+wrong&From=%2B447700900001")
    event = RawEvent.objects.create(
        source="sms",
        provider="twilio",
        lake_key="raw/sms/2026/11/25/10/x.form",
        sha256="0" * 64,
        size=44,
        received_at="2026-11-25T10:00:00Z",
    )
    complaint = create_complaint(raw_event_id=event.id)
    for user in (agent, supervisor):
        client = client_for(user)
        assert client.get(f"/agents/complaints/{complaint.pk}/raw/").status_code == 403
        assert b"Body=My+bill" not in client.get(f"/agents/complaints/{complaint.pk}/").content
    client = client_for(admin_user)
    page = client.get(f"/agents/complaints/{complaint.pk}/")
    assert b"Body=My+bill+is+wrong" in page.content
    raw = client.get(f"/agents/complaints/{complaint.pk}/raw/")
    assert raw.status_code == 200
    assert body_of(raw) == b"Body=My+bill+is+wrong&From=%2B447700900001"


def test_token_authentication_works_for_integrations(agent) -> None:
    token = Token.objects.create(user=agent)
    complaint = create_complaint()
    from django.test import Client

    client = Client()
    response = client.get("/api/v1/complaints/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["results"][0]["reference"] == complaint.reference
    # No session and no CSRF token: a token call may post.
    response = client.post(
        f"/api/v1/complaints/{complaint.pk}/note/", {"note": "Called back"}, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    assert Client().get("/api/v1/complaints/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_staff_without_a_role_are_told_where_they_may_go_instead_of_a_bare_403(staff_without_group) -> None:
    # An analyst logs in, lands on the queue (LOGIN_REDIRECT_URL) and must not hit a dead end.
    response = client_for(staff_without_group).get("/agents/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "This area is for agents." in html
    assert '<a href="/dashboard/">dashboard</a>' in html and "supervisors</em> group" in html
    assert 'href="/agents/"' not in html  # the navigation does not offer the queue they cannot open
    assert '<a href="/dashboard/">Dashboard</a>' in html and "Log out stan_staff" in html


def test_agents_see_the_queue_in_the_navigation(agent) -> None:
    html = client_for(agent).get("/dashboard/").content.decode()
    assert '<a href="/agents/">Queue</a>' in html


def test_a_missing_complaint_is_a_404_page_in_the_sites_layout(agent) -> None:
    response = client_for(agent).get("/agents/complaints/00000000-0000-0000-0000-000000000001/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Nothing here</h1>" in html and '<a href="/agents/">Back to the queue</a>' in html
