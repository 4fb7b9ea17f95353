"""The bulk writes behind the call-log job: the warehouse's batch complaint creation, references."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from warehouse.models import Complaint, ComplaintEvent, ComplaintReference
from warehouse.services import NewComplaint, complaint_create, complaints_create_bulk, references_allocate_bulk

pytestmark = pytest.mark.django_db

AT = datetime(2025, 10, 25, 13, 0, tzinfo=UTC)


def new(external_id: str, **extra: object) -> NewComplaint:
    fields: dict[str, object] = {
        "message_id": uuid.uuid4(), "raw_event_id": None, "source": "call_center", "channel": "call",
        "provider": "call_log", "external_id": external_id, "text": f"complaint {external_id}",
        "occurred_at": AT, "received_at": AT, "category": "billing", "model_version": "m1",
    }  # fmt: skip
    fields.update(extra)
    return NewComplaint(**fields)  # type: ignore[arg-type]


def test_a_batch_creates_each_complaint_once_with_its_reference_and_audit_entry() -> None:
    news = [new(f"C-{i}") for i in range(5)]
    ids = complaints_create_bulk(news=news)
    assert len(ids) == 5 and Complaint.objects.count() == 5
    for complaint in Complaint.objects.all():
        assert ids[("call_center", complaint.external_id)] == complaint.id
        assert complaint.reference.startswith("CMP-20251025-") and complaint.status == Complaint.Status.PENDING
        assert list(complaint.events.values_list("action", "to_status")) == [("created", "pending")]
    assert ComplaintReference.objects.count() == 5

    again = complaints_create_bulk(news=[*news, new("C-5")])  # a re-run, plus one more
    assert {k: v for k, v in again.items() if k[1] != "C-5"} == ids
    assert Complaint.objects.count() == 6 and ComplaintEvent.objects.count() == 6


def test_a_complaint_created_one_by_one_is_returned_not_duplicated() -> None:
    single, _ = complaint_create(new=new("ONE"))
    ids = complaints_create_bulk(news=[new("ONE"), new("TWO")])
    assert ids[("call_center", "ONE")] == single.id
    assert Complaint.objects.count() == 2 and single.events.count() == 1


def test_codes_already_handed_out_are_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    ComplaintReference.objects.create(code="CMP-20251025-AAAAA")
    draws = iter(["CMP-20251025-AAAAA", "CMP-20251025-BBBBB", "CMP-20251025-BBBBB", "CMP-20251025-CCCCC"])
    monkeypatch.setattr("warehouse.services.reference_candidate", lambda at: next(draws))
    # First round: AAAAA is taken and BBBBB drawn twice, so only one BBBBB is kept; CCCCC next.
    codes = references_allocate_bulk(ats=[AT, AT])
    assert sorted(codes) == ["CMP-20251025-BBBBB", "CMP-20251025-CCCCC"]
    assert ComplaintReference.objects.count() == 3
