"""Two agents resolve the same complaint at the same moment, on two PostgreSQL connections."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from agents.tests.conftest import client_for, create_complaint
from warehouse.models import Complaint, ComplaintEvent
from warehouse.services import ComplaintConflict, complaint_resolve

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_thread(results: dict[str, Any], name: str, func: Any) -> threading.Thread:
    def target() -> None:
        try:
            results[name] = func()
        except Exception as exc:
            results[name] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def blocked_on_lock(count: int) -> bool:
    with connections["default"].cursor() as cursor:
        # Statistics views are a snapshot per transaction; this runs inside one, so refresh it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] >= count


def test_when_two_agents_resolve_at_once_exactly_one_wins_and_the_other_is_told(agent, other_agent) -> None:
    complaint = create_complaint()
    results: dict[str, Any] = {}
    # Hold the row lock so that both agents read "pending" and both reach their UPDATE: the race
    # is forced, not hoped for. Then let go and see what each got.
    with transaction.atomic():
        Complaint.objects.select_for_update().get(pk=complaint.pk)
        threads = [
            run_in_thread(
                results,
                user.username,
                lambda user=user: complaint_resolve(
                    complaint_id=complaint.pk, actor=user, note=f"resolved by {user.username}"
                ),
            )
            for user in (agent, other_agent)
        ]
        deadline = time.monotonic() + 20
        while not blocked_on_lock(2):
            assert time.monotonic() < deadline, f"the two resolves never both reached their UPDATE: {results}"
            time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, value in results.items() if isinstance(value, Complaint)]
    losers = [name for name, value in results.items() if isinstance(value, ComplaintConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    message = str(results[losers[0]])
    assert f"{complaint.reference} was already resolved by {winners[0]} at " in message

    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert complaint.resolution_note == f"resolved by {winners[0]}"
    events = ComplaintEvent.objects.filter(complaint=complaint, action="resolved")
    assert [e.actor.username if e.actor else None for e in events] == winners


def test_two_simultaneous_api_resolves_give_one_200_and_one_409(supervisor, agent) -> None:
    complaint = create_complaint()
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def resolve(user: Any) -> tuple[int, dict[str, Any]]:
        client = client_for(user)
        barrier.wait(timeout=10)
        response = client.post(
            f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": user.username}, content_type="application/json"
        )
        return response.status_code, response.json()

    threads = [run_in_thread(results, u.username, lambda u=u: resolve(u)) for u in (supervisor, agent)]
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(code for code, _ in results.values())
    assert statuses == [200, 409], results
    loser = next(body for code, body in results.values() if code == 409)
    assert "was already resolved by" in loser["detail"]
    assert ComplaintEvent.objects.filter(complaint=complaint, action="resolved").count() == 1
    assert connection.vendor == "postgresql"
