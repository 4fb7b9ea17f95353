"""The queue page: order, filters with their counts, search, pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.tests.conftest import client_for, create_complaint

pytestmark = pytest.mark.django_db


def link(html: str, rel: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    assert match, f"no {rel} link"
    return match.group(1)


def row_refs(html: str) -> list[str]:
    return re.findall(r'<td class="c-ref"><a href="[^"]+">(CMP-[^<]+)</a>', html)


def facet_count(counts: dict, facet: str, value: str) -> str:  # type: ignore[type-arg]
    return counts[f"{facet}={value}"]["text"]


def get_counts(client, query: str = "") -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.get(f"/agents/counts/{query}")
    assert response.status_code == 200
    return response.json()["counts"]


def test_the_queue_lists_open_complaints_urgent_first_with_age_source_category_and_first_line(agent) -> None:
    now = timezone.now()
    old = create_complaint(received_at=now - timedelta(days=2), text="Old problem\nsecond line", category="billing")
    urgent = create_complaint(received_at=now - timedelta(minutes=10), urgent=True, urgency_reasons=["legal threat"])
    create_complaint(status="resolved", assigned_to=agent)
    html = client_for(agent).get("/agents/").content.decode()
    assert row_refs(html) == [urgent.reference, old.reference]
    assert ">2d</td>" in html and ">10m</td>" in html
    assert "Old problem second line" in html  # the start of the text, its lines joined
    assert 'Billing and payments</span> <span class="conf conf-high">87%</span>' in html
    assert 'title="legal threat">urgent</span>' in html


def test_filter_counts_show_what_each_option_would_give_keeping_the_other_filters(agent) -> None:
    for _ in range(3):
        create_complaint(source="sms", channel="sms", category="billing")
    create_complaint(source="social", channel="x_mention", category="billing")
    create_complaint(source="social", channel="facebook_dm", category="delivery")
    create_complaint(source="sms", channel="sms", category="delivery", assigned_to=agent)
    client = client_for(agent)
    html = client.get("/agents/").content.decode()
    assert 'data-counts-url="/agents/counts/"' in html
    counts = get_counts(client)
    assert facet_count(counts, "source", "sms") == "4"
    assert facet_count(counts, "source", "social") == "2"
    assert facet_count(counts, "category", "billing") == "4"
    assert facet_count(counts, "assigned", "me") == "1"
    assert facet_count(counts, "assigned", "unassigned") == "5"
    assert facet_count(counts, "status", "pending") == "6"

    html = client.get("/agents/?category=delivery").content.decode()
    assert len(row_refs(html)) == 2
    assert 'data-counts-url="/agents/counts/?category=delivery"' in html
    counts = get_counts(client, "?category=delivery")
    assert facet_count(counts, "source", "sms") == "1"  # with category=delivery kept
    assert facet_count(counts, "category", "billing") == "4"  # its own filter left out
    assert "Category: Delivery and orders" in html  # the active-filter chip


def test_search_and_filters_combine_in_the_ui(agent) -> None:
    hit = create_complaint(text="The router keeps dropping the connection", source="social", channel="x_mention")
    create_complaint(text="The router is fine but billing is wrong", source="sms", channel="sms")
    html = client_for(agent).get("/agents/?q=router&source=social").content.decode()
    assert row_refs(html) == [hit.reference]
    assert 'name="source" value="social"' in html  # the search box keeps the other filters


def test_pages_of_fifty_link_forward_and_back(agent) -> None:
    now = timezone.now()
    made = [create_complaint(received_at=now - timedelta(minutes=200 - i)) for i in range(120)]
    client = client_for(agent)
    first = client.get("/agents/").content.decode()
    assert row_refs(first) == [c.reference for c in made[:50]]
    assert 'rel="prev"' not in first
    next_url = link(first, "next").replace("&amp;", "&")
    second = client.get("/agents/" + next_url).content.decode()
    assert row_refs(second) == [c.reference for c in made[50:100]]
    prev_url = link(second, "prev").replace("&amp;", "&")
    assert row_refs(client.get("/agents/" + prev_url).content.decode()) == row_refs(first)


def test_counts_are_capped_and_cached_briefly(agent, monkeypatch) -> None:
    import agents.queue as queue_module

    monkeypatch.setattr(queue_module, "COUNT_CAP", 2)
    monkeypatch.setattr(queue_module.queue_facet_counts, "__kwdefaults__", {"cap": 2})
    for _ in range(3):
        create_complaint(source="sms")
    client = client_for(agent)
    assert facet_count(get_counts(client), "source", "sms") == "2+"
    create_complaint(source="web_form", channel="web_form")
    # Within the cache window the same numbers come back; the list itself is always live.
    assert facet_count(get_counts(client), "source", "web_form") == "0"
    assert len(row_refs(client.get("/agents/").content.decode())) == 4


def test_an_agents_closed_counts_are_their_own(agent, other_agent) -> None:
    create_complaint(status="resolved", assigned_to=agent)
    create_complaint(status="resolved", assigned_to=other_agent)
    assert facet_count(get_counts(client_for(agent)), "status", "resolved") == "1"


def test_an_empty_queue_says_so(agent) -> None:
    html = client_for(agent).get("/agents/").content.decode()
    assert "The queue is empty" in html


def test_bad_filter_input_shows_the_error_instead_of_crashing(agent) -> None:
    response = client_for(agent).get("/agents/?received_from=someday")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


@pytest.mark.parametrize("extra", ["", "&source=sms", "&category=delivery&assigned=unassigned", "&status=all"])
def test_counts_under_a_word_search_agree_with_the_counts_without_it(agent, other_agent, extra: str) -> None:
    made = [
        dict(source="sms", channel="sms", category="billing"),
        dict(source="sms", channel="whatsapp", category="delivery", assigned_to=agent),
        dict(source="social", channel="x_mention", category="delivery"),
        dict(source="social", channel="x_mention", category="", status="in_progress", assigned_to=other_agent),
        dict(source="web_form", channel="web_form", category="delivery", status="resolved", assigned_to=agent),
        dict(source="web_form", channel="web_form", category="billing", status="resolved", assigned_to=other_agent),
    ]
    for fields in made:
        create_complaint(text="The router keeps rebooting", **fields)
    client = client_for(agent)
    without = get_counts(client, f"?x=1{extra}")
    create_complaint(text="My bill is wrong", source="sms", channel="sms", category="billing")
    with_search = get_counts(client, f"?q=router{extra}")
    assert with_search == without


def test_a_call_transcript_opening_with_a_greeting_shows_what_the_call_was_about(agent) -> None:
    create_complaint(
        source="call_center", channel="call", text="Hi team,\nThe trainers fell apart after a week.\nThanks."
    )
    html = client_for(agent).get("/agents/").content.decode()
    assert '<div class="line">Hi team, The trainers fell apart after a week. Thanks.</div>' in html
