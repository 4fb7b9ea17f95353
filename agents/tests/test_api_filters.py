"""The API's filters match the UI's, and its pages walk the queue without gaps or repeats."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.tests.conftest import client_for, create_complaint

pytestmark = pytest.mark.django_db


def refs(user, query: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    response = client_for(user).get(f"/api/v1/complaints/{query}")
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_the_default_view_is_open_complaints_urgent_first_then_oldest(agent) -> None:
    now = timezone.now()
    old = create_complaint(received_at=now - timedelta(days=3))
    new = create_complaint(received_at=now - timedelta(hours=1))
    urgent_new = create_complaint(received_at=now - timedelta(minutes=5), urgent=True)
    in_progress = create_complaint(received_at=now - timedelta(days=1), status="in_progress")
    create_complaint(status="resolved", assigned_to=agent)
    create_complaint(status="dismissed", assigned_to=agent)
    assert refs(agent) == [urgent_new.reference, old.reference, in_progress.reference, new.reference]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?source=social", {"social"}),
        ("?channel=x_mention", {"x-mention"}),
        ("?category=delivery", {"delivery"}),
        ("?category=none", {"uncategorised"}),
        ("?status=in_progress", {"in-progress"}),
        ("?status=pending", {"social", "x-mention", "delivery", "uncategorised", "mine", "sms"}),
    ],
)
def test_each_single_filter(agent, query: str, expected: set[str]) -> None:
    create_complaint(text="sms", source="sms", channel="sms")
    create_complaint(text="social", source="social", channel="facebook_dm")
    create_complaint(text="x-mention", source="social", channel="x_mention", category="account_access")
    create_complaint(text="delivery", category="delivery")
    create_complaint(text="uncategorised", category="")
    create_complaint(text="in-progress", status="in_progress", category="other", source="web_form", channel="web_form")
    create_complaint(text="mine", assigned_to=agent, category="other", source="web_form", channel="web_form")
    response = client_for(agent).get(f"/api/v1/complaints/{query}").json()
    got = {row["first_line"] for row in response["results"]}
    if query == "?source=social":
        expected = {"social", "x-mention"}
    assert got == expected


def test_assigned_to_me_and_unassigned(agent, other_agent) -> None:
    mine = create_complaint(assigned_to=agent)
    theirs = create_complaint(assigned_to=other_agent)
    free = create_complaint()
    assert refs(agent, "?assigned=me") == [mine.reference]
    assert refs(agent, "?assigned=unassigned") == [free.reference]
    assert refs(agent, "?assigned=others") == [theirs.reference]


def test_the_date_range_is_in_whole_days_of_the_internal_time_zone(agent, settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    london = ZoneInfo("Europe/London")
    # 23:30 in London on 1 July is 22:30 UTC; 00:30 on 2 July is 23:30 UTC on 1 July.
    late_first = create_complaint(received_at=datetime(2026, 7, 1, 23, 30, tzinfo=london))
    early_second = create_complaint(received_at=datetime(2026, 7, 2, 0, 30, tzinfo=london))
    create_complaint(received_at=datetime(2026, 7, 3, 9, 0, tzinfo=london))
    assert refs(agent, "?received_from=2026-07-02&received_to=2026-07-02") == [early_second.reference]
    assert refs(agent, "?received_to=2026-07-01") == [late_first.reference]
    assert refs(agent, "?received_from=2026-07-01&received_to=2026-07-02") == [
        late_first.reference,
        early_second.reference,
    ]


def test_text_search_finds_words_stems_handles_and_references(agent) -> None:
    refund = create_complaint(text="I was promised refunds three weeks ago and nothing came")
    parcel = create_complaint(text="The parcel never arrived", customer_handle="@grumpy_gran")
    assert refs(agent, "?q=refund") == [refund.reference]  # the English stemmer: refunds ~ refund
    assert refs(agent, "?q=grumpy_gran") == [parcel.reference]
    assert refs(agent, f"?q={parcel.reference.lower()}") == [parcel.reference]
    assert refs(agent, "?q=refund+-promised") == []
    assert refs(agent, '?q="never arrived"') == [parcel.reference]


def test_invalid_filter_values_are_a_400_that_names_the_field(agent) -> None:
    response = client_for(agent).get("/api/v1/complaints/?source=pigeon&received_from=yesterday")
    assert response.status_code == 400
    assert set(response.json()) == {"source", "received_from"}


def test_keyset_pages_walk_the_whole_queue_in_order_without_repeats(agent) -> None:
    now = timezone.now()
    same_time = now - timedelta(hours=2)
    made = [create_complaint(received_at=now - timedelta(minutes=i), urgent=(i % 4 == 0)) for i in range(1, 12)]
    made += [create_complaint(received_at=same_time) for _ in range(4)]  # ties on received_at
    client = client_for(agent)
    seen: list[str] = []
    url = "/api/v1/complaints/?page_size=4"
    pages = 0
    while url:
        body = client.get(url).json()
        assert body["count"] == 15 and body["count_is_capped"] is False
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 4
    expected = sorted(made, key=lambda c: (not c.urgent, c.received_at, c.id))
    assert seen == [c.reference for c in expected]

    # ... and back again with the previous links.
    body = client.get("/api/v1/complaints/?page_size=4").json()
    second = client.get(body["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()
    assert [r["reference"] for r in back["results"]] == [r["reference"] for r in second["results"]]


def test_the_count_is_capped_instead_of_counting_everything(agent, monkeypatch) -> None:
    import warehouse.selectors as selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    monkeypatch.setattr(selectors.complaint_capped_count, "__kwdefaults__", {"cap": 3})
    for _ in range(5):
        create_complaint()
    body = client_for(agent).get("/api/v1/complaints/").json()
    assert (body["count"], body["count_is_capped"]) == (3, True)
    assert len(body["results"]) == 5


def test_a_mangled_cursor_is_a_400(agent) -> None:
    response = client_for(agent).get("/api/v1/complaints/?after=not-a-cursor")
    assert response.status_code == 400 and "after" in response.json()


def test_the_detail_has_full_text_history_and_authorised_attachment_urls(agent) -> None:
    complaint = create_complaint(
        text="Line one\nLine two",
        attachments=[
            {"lake_key": "attachments/web_form/2026/11/25/e/1.png", "content_type": "image/png", "filename": "a.png"},
            {"url": "https://api.twilio.com/media/ME1", "content_type": "image/jpeg"},
        ],
    )
    body = client_for(agent).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["text"] == "Line one\nLine two" and body["first_line"] == "Line one"
    assert body["history"][0]["action"] == "created"
    assert body["attachments"][0]["url"] == f"http://testserver/agents/complaints/{complaint.pk}/attachments/0/"
    assert body["attachments"][1]["url"] is None  # the provider's URL is never handed out


def test_the_openapi_schema_describes_the_actions_and_the_filters(agent) -> None:
    response = client_for(agent).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for action in ("assign", "resolve", "dismiss", "relabel", "note"):
        operation = paths[f"/api/v1/complaints/{{id}}/{action}/"]["post"]
        assert "409" in operation["responses"]
    parameters = {p["name"] for p in paths["/api/v1/complaints/"]["get"]["parameters"]}
    assert {
        "source",
        "channel",
        "category",
        "status",
        "assigned",
        "received_from",
        "received_to",
        "q",
        "after",
    } <= parameters


def test_the_docs_page_loads_swagger_ui_from_this_server_not_a_cdn(agent) -> None:
    page = client_for(agent).get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
