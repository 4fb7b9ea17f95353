"""The queue page: order, filters with their counts, search, pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.tests.conftest import client_for, create_complaint

pytestmark = pytest.mark.django_db


def row_refs(html: str) -> list[str]:
    return re.findall(r'<td class="c-ref"><a href="[^"]+">(CMP-[^<]+)</a>', html)


def facet_count(html: str, facet: str, value: str) -> str:
    match = re.search(
        rf'data-facet-option="{facet}={value}">\s*<span class="label">[^<]*</span><span class="count">([^<]+)</span>',
        html,
    )
    assert match, f"no facet option {facet}={value}"
    return match.group(1)


def test_the_queue_lists_open_complaints_urgent_first_with_age_source_category_and_first_line(agent) -> None:
    now = timezone.now()
    old = create_complaint(received_at=now - timedelta(days=2), text="Old problem\nsecond line", category="billing")
    urgent = create_complaint(received_at=now - timedelta(minutes=10), urgent=True, urgency_reasons=["legal threat"])
    create_complaint(status="resolved", assigned_to=agent)
    html = client_for(agent).get("/agents/").content.decode()
    assert row_refs(html) == [urgent.reference, old.reference]
    assert ">2d</td>" in html and ">10m</td>" in html
    assert "Old problem" in html and "second line" not in html
    assert '<span class="cat">Billing and payments</span> <span class="conf conf-high">87%</span>' in html
    assert 'title="legal threat">urgent</span>' in html


def test_filter_counts_show_what_each_option_would_give_keeping_the_other_filters(agent) -> None:
    for _ in range(3):
        create_complaint(source="sms", channel="sms", category="billing")
    create_complaint(source="social", channel="x_mention", category="billing")
    create_complaint(source="social", channel="facebook_dm", category="delivery")
    create_complaint(source="sms", channel="sms", category="delivery", assigned_to=agent)
    client = client_for(agent)
    html = client.get("/agents/").content.decode()
    assert facet_count(html, "source", "sms") == "4"
    assert facet_count(html, "source", "social") == "2"
    assert facet_count(html, "category", "billing") == "4"
    assert facet_count(html, "assigned", "me") == "1"
    assert facet_count(html, "assigned", "unassigned") == "5"
    assert facet_count(html, "status", "pending") == "6"

    html = client.get("/agents/?category=delivery").content.decode()
    assert len(row_refs(html)) == 2
    assert facet_count(html, "source", "sms") == "1"  # with category=delivery kept
    assert facet_count(html, "category", "billing") == "4"  # its own filter left out
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
    next_url = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get("/agents/" + next_url).content.decode()
    assert row_refs(second) == [c.reference for c in made[50:100]]
    prev_url = re.search(r'<a href="([^"]+)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert row_refs(client.get("/agents/" + prev_url).content.decode()) == row_refs(first)


def test_an_empty_queue_says_so(agent) -> None:
    html = client_for(agent).get("/agents/").content.decode()
    assert "The queue is empty" in html


def test_bad_filter_input_shows_the_error_instead_of_crashing(agent) -> None:
    response = client_for(agent).get("/agents/?received_from=someday")
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
