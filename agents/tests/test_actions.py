"""Every action, through the UI and the API, leaves the change and its audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.tests.conftest import client_for, create_complaint
from classification.models import Feedback
from warehouse.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db


def last_event(complaint: Complaint) -> ComplaintEvent:
    return ComplaintEvent.objects.filter(complaint=complaint).order_by("-id")[0]


def test_taking_a_complaint_assigns_it_sets_first_response_and_is_audited(agent) -> None:
    complaint = create_complaint()
    assert complaint.first_response_at is None
    response = client_for(agent).post(f"/agents/complaints/{complaint.pk}/take/", follow=True)
    assert f"{complaint.reference} is yours." in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.assigned_to == agent
    assert complaint.first_response_at is not None
    event = last_event(complaint)
    assert (event.action, event.actor, event.data) == ("assigned", agent, {"from": None, "to": "alice"})


def test_the_first_response_time_is_kept_by_later_actions(agent) -> None:
    complaint = create_complaint()
    client = client_for(agent)
    client.post(f"/agents/complaints/{complaint.pk}/take/")
    complaint.refresh_from_db()
    first = complaint.first_response_at
    client.post(f"/agents/complaints/{complaint.pk}/note/", {"note": "Rang the customer"})
    client.post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Refunded"})
    complaint.refresh_from_db()
    assert first is not None and complaint.resolved_at is not None
    assert complaint.first_response_at == first
    assert complaint.resolved_at > first


def test_an_internal_note_is_stored_in_the_history_without_changing_the_status(agent) -> None:
    complaint = create_complaint()
    client_for(agent).post(f"/agents/complaints/{complaint.pk}/note/", {"note": "Customer prefers e-mail"})
    complaint.refresh_from_db()
    assert complaint.status == "pending" and complaint.first_response_at is not None
    event = last_event(complaint)
    assert (event.action, event.note, event.actor, event.from_status, event.to_status) == (
        "note",
        "Customer prefers e-mail",
        agent,
        "pending",
        "pending",
    )


def test_an_empty_note_is_refused_with_a_message(agent) -> None:
    complaint = create_complaint()
    response = client_for(agent).post(f"/agents/complaints/{complaint.pk}/note/", {"note": "  "}, follow=True)
    assert "This field is required." in response.content.decode()
    assert not ComplaintEvent.objects.filter(complaint=complaint, action="note").exists()


def test_starting_work_moves_pending_to_in_progress_and_takes_it(agent) -> None:
    complaint = create_complaint()
    client_for(agent).post(f"/agents/complaints/{complaint.pk}/start/")
    complaint.refresh_from_db()
    assert complaint.status == "in_progress" and complaint.assigned_to == agent
    event = last_event(complaint)
    assert (event.action, event.from_status, event.to_status) == ("status", "pending", "in_progress")


def test_resolving_needs_a_note_and_sets_resolved_at(agent) -> None:
    complaint = create_complaint(status="in_progress", assigned_to=agent)
    client = client_for(agent)
    response = client.post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": ""}, follow=True)
    assert "Say how the complaint was resolved." in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    client.post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Refunded the double charge"})
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert complaint.resolved_at is not None
    assert complaint.resolution_note == "Refunded the double charge"
    event = last_event(complaint)
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "resolved",
        "in_progress",
        "resolved",
        "Refunded the double charge",
    )


def test_resolve_and_next_opens_the_next_complaint_in_the_queue(agent) -> None:
    first = create_complaint(urgent=True)
    second = create_complaint()
    response = client_for(agent).post(f"/agents/complaints/{first.pk}/resolve/", {"note": "Done", "then": "next"})
    assert response["Location"] == f"/agents/complaints/{second.pk}/"


def test_dismissing_records_classifier_feedback_and_the_reason(agent) -> None:
    complaint = create_complaint(text="Win a free cruise!!! click here")
    client_for(agent).post(f"/agents/complaints/{complaint.pk}/dismiss/", {"reason": "spam", "note": "obvious spam"})
    complaint.refresh_from_db()
    assert complaint.status == "dismissed"
    event = last_event(complaint)
    assert (event.action, event.data, event.note) == ("dismissed", {"reason": "spam"}, "obvious spam")
    feedback = Feedback.objects.get()
    assert (feedback.task, feedback.label, feedback.previous_label, feedback.reason) == (
        "complaint",
        "not_complaint",
        "complaint",
        "spam",
    )
    assert feedback.text == "Win a free cruise!!! click here"
    assert feedback.complaint_id == complaint.pk and feedback.message_id == complaint.message_id
    assert feedback.created_by == agent and feedback.model_version == "test-model-1"


def test_changing_the_category_records_classifier_feedback(agent) -> None:
    complaint = create_complaint(category="billing")
    client_for(agent).post(
        f"/agents/complaints/{complaint.pk}/relabel/", {"category": "delivery", "expected": "billing"}
    )
    complaint.refresh_from_db()
    assert complaint.category == "delivery"
    event = last_event(complaint)
    assert (event.action, event.data["from"], event.data["to"]) == ("relabelled", "billing", "delivery")
    feedback = Feedback.objects.get()
    assert (feedback.task, feedback.label, feedback.previous_label) == ("category", "delivery", "billing")


def test_a_relabel_based_on_a_stale_category_is_refused(agent, other_agent) -> None:
    complaint = create_complaint(category="billing")
    client_for(other_agent).post(
        f"/agents/complaints/{complaint.pk}/relabel/", {"category": "delivery", "expected": "billing"}
    )
    response = client_for(agent).post(
        f"/agents/complaints/{complaint.pk}/relabel/",
        {"category": "pricing_refunds", "expected": "billing"},
        follow=True,
    )
    assert "was changed to delivery by someone else meanwhile" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.category == "delivery"
    assert Feedback.objects.count() == 1


def test_a_supervisor_reassigns_and_the_history_says_from_whom_to_whom(supervisor, agent, other_agent) -> None:
    complaint = create_complaint(assigned_to=agent)
    client_for(supervisor).post(f"/agents/complaints/{complaint.pk}/assign/", {"assignee": other_agent.pk})
    complaint.refresh_from_db()
    assert complaint.assigned_to == other_agent
    event = last_event(complaint)
    assert (event.actor, event.data) == (supervisor, {"from": "alice", "to": "bob"})


def test_an_agent_who_resolves_after_a_colleague_is_told_who_won_in_the_ui(agent, other_agent) -> None:
    complaint = create_complaint()
    client_for(other_agent).post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Refunded"})
    response = client_for(agent).post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Me too"}, follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/agents/"
    assert f"{complaint.reference} was already resolved by bob at " in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.resolution_note == "Refunded"
    assert ComplaintEvent.objects.filter(complaint=complaint, action="resolved").count() == 1


def test_who_won_is_the_resolver_even_after_a_later_note(agent, other_agent, supervisor) -> None:
    complaint = create_complaint()
    client_for(other_agent).post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Refunded"})
    client_for(supervisor).post(f"/agents/complaints/{complaint.pk}/note/", {"note": "Checked the refund"})
    assert ComplaintEvent.objects.filter(complaint=complaint, action="note", to_status="resolved").exists()
    response = client_for(agent).post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Me too"}, follow=True)
    assert f"{complaint.reference} was already resolved by bob at " in response.content.decode()


def test_an_agent_cannot_note_or_relabel_a_colleagues_closed_complaint_from_the_ui(agent, other_agent) -> None:
    # Out of the agent's sight (resolved, assigned to bob): the detail page is a 404, and so is
    # writing to it, which notes and relabels would otherwise allow in any state.
    complaint = create_complaint(status="resolved", assigned_to=other_agent)
    client = client_for(agent)
    assert client.get(f"/agents/complaints/{complaint.pk}/").status_code == 404
    assert client.post(f"/agents/complaints/{complaint.pk}/note/", {"note": "sneaky"}).status_code == 404
    response = client.post(f"/agents/complaints/{complaint.pk}/relabel/", {"category": "billing", "expected": ""})
    assert response.status_code == 404
    assert not ComplaintEvent.objects.filter(complaint=complaint, action__in=["note", "relabelled"]).exists()
    assert client_for(other_agent).post(f"/agents/complaints/{complaint.pk}/note/", {"note": "mine"}).status_code == 302


def test_a_resolved_complaint_cannot_be_taken_or_dismissed(agent) -> None:
    complaint = create_complaint(status="resolved", assigned_to=agent)
    client = client_for(agent)
    response = client.post(f"/agents/complaints/{complaint.pk}/dismiss/", {"reason": "spam"}, follow=True)
    assert "was already resolved" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert not Feedback.objects.exists()


def test_bulk_take_assigns_every_unassigned_one_and_reports_the_others(agent, other_agent) -> None:
    free = [create_complaint() for _ in range(3)]
    taken = create_complaint(assigned_to=other_agent)
    response = client_for(agent).post(
        "/agents/complaints/bulk/",
        {"action": "take", "ids": [c.pk for c in [*free, taken]], "next": "/agents/"},
        follow=True,
    )
    page = response.content.decode()
    assert all(c.reference in page for c in free)
    assert f"{taken.reference} is assigned to bob" in page
    assert Complaint.objects.filter(assigned_to=agent).count() == 3
    assert ComplaintEvent.objects.filter(action="assigned", actor=agent).count() == 3


def test_bulk_resolve_resolves_each_with_the_note_and_audits_each(agent) -> None:
    items = [create_complaint() for _ in range(3)]
    client_for(agent).post(
        "/agents/complaints/bulk/", {"action": "resolve", "ids": [c.pk for c in items], "note": "Outage fixed"}
    )
    for complaint in items:
        complaint.refresh_from_db()
        assert complaint.status == "resolved" and complaint.resolution_note == "Outage fixed"
        assert last_event(complaint).action == "resolved"


def test_bulk_resolve_without_a_note_changes_nothing(agent) -> None:
    items = [create_complaint() for _ in range(2)]
    response = client_for(agent).post(
        "/agents/complaints/bulk/", {"action": "resolve", "ids": [c.pk for c in items], "note": ""}, follow=True
    )
    assert "Say how the complaints were resolved." in response.content.decode()
    assert Complaint.objects.filter(status="resolved").count() == 0


def test_bulk_assign_to_someone_else_is_for_supervisors(agent, other_agent, supervisor) -> None:
    items = [create_complaint() for _ in range(2)]
    data = {"action": "assign", "ids": [c.pk for c in items], "assignee": other_agent.pk}
    client_for(agent).post("/agents/complaints/bulk/", data)
    assert Complaint.objects.filter(assigned_to=other_agent).count() == 0
    client_for(supervisor).post("/agents/complaints/bulk/", data)
    assert Complaint.objects.filter(assigned_to=other_agent).count() == 2


# --- the same actions through the API -------------------------------------------------------------
def api_post(user, url: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    return client_for(user).post(url, data or {}, content_type="application/json")


def test_api_actions_each_change_the_complaint_and_leave_an_audit_entry(agent) -> None:
    complaint = create_complaint(category="billing")
    base = f"/api/v1/complaints/{complaint.pk}"
    steps = [
        ("assign", {}, "assigned"),
        ("start", {}, "status"),
        ("note", {"note": "Asked for the invoice"}, "note"),
        ("relabel", {"category": "pricing_refunds", "expected_category": "billing"}, "relabelled"),
        ("resolve", {"note": "Refunded"}, "resolved"),
    ]
    for action, data, audit in steps:
        response = api_post(agent, f"{base}/{action}/", data)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["history"][-1]["action"] == audit
        assert response.json()["history"][-1]["actor"] == "alice"
    body = response.json()
    assert body["status"] == "resolved" and body["category"] == "pricing_refunds"
    assert body["resolution_note"] == "Refunded" and body["resolved_at"] and body["first_response_at"]
    assert [e["action"] for e in body["history"]] == ["created", "assigned", "status", "note", "relabelled", "resolved"]


def test_api_dismiss_records_feedback(agent) -> None:
    complaint = create_complaint()
    response = api_post(agent, f"/api/v1/complaints/{complaint.pk}/dismiss/", {"reason": "joke"})
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert Feedback.objects.get().reason == "joke"


def test_api_rejects_bad_input_with_400_and_a_reason(agent) -> None:
    complaint = create_complaint()
    response = api_post(agent, f"/api/v1/complaints/{complaint.pk}/dismiss/", {"reason": "boring"})
    assert response.status_code == 400 and "reason" in response.json()
    response = api_post(agent, f"/api/v1/complaints/{complaint.pk}/relabel/", {"category": "no-such"})
    assert response.status_code == 400 and response.json()["category"] == ["Unknown category."]
    response = api_post(agent, f"/api/v1/complaints/{complaint.pk}/resolve/", {})
    assert response.status_code == 400 and "note" in response.json()


def test_api_resolving_twice_gives_409_saying_who_resolved_it(agent, other_agent) -> None:
    complaint = create_complaint()
    assert api_post(other_agent, f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "first"}).status_code == 200
    response = api_post(agent, f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "second"})
    assert response.status_code == 409
    assert "was already resolved by bob at " in response.json()["detail"]
    assert response.json()["complaint"] is None  # bob's closed complaint is not in alice's view
    again = api_post(other_agent, f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": "again"})
    assert again.status_code == 409
    assert again.json()["complaint"]["status"] == "resolved"
    complaint.refresh_from_db()
    assert complaint.resolution_note == "first"


def test_api_bulk_assign_and_resolve_report_done_and_conflicts(agent, other_agent) -> None:
    free = [create_complaint() for _ in range(2)]
    theirs = create_complaint(assigned_to=other_agent)
    ids = [str(c.pk) for c in [*free, theirs]]
    body = api_post(agent, "/api/v1/complaints/bulk/assign/", {"ids": ids}).json()
    assert sorted(body["done"]) == sorted(c.reference for c in free)
    assert [c["reference"] for c in body["conflicts"]] == [theirs.reference]
    body = api_post(agent, "/api/v1/complaints/bulk/resolve/", {"ids": ids, "note": "Fixed"}).json()
    assert len(body["done"]) == 2 and len(body["conflicts"]) == 1


def test_resolving_from_a_filtered_queue_keeps_the_way_back_to_it(agent) -> None:
    complaint = create_complaint(source="sms")
    detail = f"/agents/complaints/{complaint.pk}/?next=%2Fagents%2F%3Fsource%3Dsms"
    client = client_for(agent)
    html = client.get(detail).content.decode()
    resolve_form = html[html.index('id="resolve-form"') : html.index("</form>", html.index('id="resolve-form"'))]
    assert f'name="next" value="{detail.replace("&", "&amp;")}"' in resolve_form
    assert 'name="queue" value="/agents/?source=sms"' in resolve_form
    response = client.post(f"/agents/complaints/{complaint.pk}/resolve/", {"note": "Done", "next": detail})
    assert response["Location"] == detail
    assert 'href="/agents/?source=sms" class="back"' in client.get(response["Location"]).content.decode()


def test_resolve_and_next_stays_within_the_filters_of_the_queue_being_worked(agent) -> None:
    now = timezone.now()
    first = create_complaint(source="sms", channel="sms", received_at=now - timedelta(hours=3))
    create_complaint(source="social", channel="x_mention", received_at=now - timedelta(hours=2))
    sms_next = create_complaint(source="sms", channel="sms", received_at=now - timedelta(hours=1))
    client = client_for(agent)
    html = client.get(f"/agents/complaints/{first.pk}/?next=%2Fagents%2F%3Fsource%3Dsms").content.decode()
    assert f'href="/agents/complaints/{sms_next.pk}/?next=%2Fagents%2F%3Fsource%3Dsms" class="next-link"' in html
    response = client.post(
        f"/agents/complaints/{first.pk}/resolve/", {"note": "Done", "then": "next", "queue": "/agents/?source=sms"}
    )
    assert response["Location"] == f"/agents/complaints/{sms_next.pk}/?next=%2Fagents%2F%3Fsource%3Dsms"
    # The last one of the filtered queue leads back to that queue, not to the whole queue.
    response = client.post(
        f"/agents/complaints/{sms_next.pk}/resolve/", {"note": "Done", "then": "next", "queue": "/agents/?source=sms"}
    )
    assert response["Location"] == "/agents/?source=sms"
