"""The queue in a real browser: Debian's Chromium driven by Playwright against a live server.

Log in, filter the queue, open a complaint, resolve it, all as an agent would; screenshots go to
artifacts/ (kept by CI, ignored by git).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from agents.tests.conftest import create_complaint
from conftest import screenshot
from warehouse.models import Complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(open_page: Callable[..., Any]) -> Any:
    return open_page(viewport={"width": 1400, "height": 900})


def seed_queue() -> dict[str, Complaint]:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    made = {
        "outage": create_complaint(
            text="The internet has been down since Monday and I work from home. Third call this week!",
            source="social",
            channel="x_mention",
            category="service_outage",
            urgent=True,
            urgency_reasons=["repeat contact"],
            customer_handle="@homeworker",
            received_at=now - timedelta(minutes=25),
        ),
        "bill": create_complaint(
            text="I was charged twice for invoice 48213 this month.\nPlease refund the second payment.",
            category="billing",
            received_at=now - timedelta(hours=5),
            customer_handle="+447700900123",
            customer_category="billing",
        ),
        "parcel": create_complaint(
            text="Parcel 77120 marked delivered but never arrived.",
            source="web_form",
            channel="web_form",
            category="delivery",
            category_confidence=0.55,
            received_at=now - timedelta(days=1, hours=2),
            customer_category="delivery",
            customer_name="Ann Customer",
        ),
        "locked": create_complaint(
            text="Locked out of my account, the reset code never arrives.",
            source="call_center",
            channel="call",
            category="account_access",
            category_confidence=0.38,
            received_at=now - timedelta(days=3),
        ),
    }
    return made


def log_in(page: Any, live_server: Any, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/agents/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/agents/")


def test_an_agent_logs_in_filters_the_queue_opens_a_complaint_and_resolves_it(page: Any, live_server: Any) -> None:
    agent = User.objects.create_user("alice", password="correct horse", is_staff=True)
    agent.groups.add(Group.objects.get_or_create(name="agents")[0])
    made = seed_queue()

    log_in(page, live_server, "alice", "correct horse")
    rows = page.locator("[data-row]")
    assert rows.count() == 4
    assert rows.first.locator(".c-ref a").inner_text() == made["outage"].reference  # urgent first
    page.wait_for_selector("body.counts-loaded")  # the per-filter counts arrive after the list
    assert page.locator("[data-count-for='category=billing']").inner_text() == "1"
    assert page.locator("[data-count-for='status=pending']").inner_text() == "4"
    screenshot(page, "agents-queue")

    # Filter: only billing complaints, with the count beside the option.
    page.click("[data-facet-option='category=billing']")
    page.wait_for_url("**/agents/?category=billing")
    assert rows.count() == 1
    assert page.locator("[data-total]").inner_text() == "1"
    page.wait_for_selector("body.counts-loaded")
    assert page.locator("[data-count-for='source=sms']").inner_text() == "1"  # billing kept
    screenshot(page, "agents-queue-filtered")

    # Open it from the keyboard, write the resolution, resolve.
    page.keyboard.press("o")
    page.wait_for_url(f"**/agents/complaints/{made['bill'].pk}/**")
    assert "charged twice for invoice 48213" in page.locator("[data-text]").inner_text()
    page.keyboard.press("r")
    page.keyboard.type("Refunded the duplicate payment; confirmed by e-mail.")
    screenshot(page, "agents-detail")
    page.click("#resolve-form button[value=stay]")
    page.wait_for_selector(".flash-success")
    assert f"{made['bill'].reference} resolved." in page.locator(".flash").inner_text()
    screenshot(page, "agents-resolved")

    made["bill"].refresh_from_db()
    assert made["bill"].status == "resolved"
    assert made["bill"].assigned_to == agent
    assert made["bill"].resolution_note == "Refunded the duplicate payment; confirmed by e-mail."


def test_keyboard_shortcuts_move_take_and_search(page: Any, live_server: Any) -> None:
    agent = User.objects.create_user("alice", password="correct horse", is_staff=True)
    agent.groups.add(Group.objects.get_or_create(name="agents")[0])
    made = seed_queue()
    log_in(page, live_server, "alice", "correct horse")

    # The order: urgent first, then oldest first.
    selected = page.locator("tr.is-selected .c-ref a")
    order = ["outage", "locked", "parcel", "bill"]
    seen = [selected.inner_text()]
    for key in "jjjk":
        page.keyboard.press(key)
        seen.append(selected.inner_text())
    assert seen == [made[name].reference for name in ["outage", "locked", "parcel", "bill", "parcel"]], order
    page.keyboard.press("a")  # assign to me
    page.wait_for_selector(".flash-success")
    made["parcel"].refresh_from_db()
    assert made["parcel"].assigned_to == agent

    page.keyboard.press("/")
    page.keyboard.type("parcel")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=parcel**")
    assert page.locator("[data-row]").count() == 1
    page.keyboard.press("?")
    assert page.locator("#kbd-help").is_visible()
    screenshot(page, "agents-shortcuts")


def test_the_second_agent_to_resolve_is_told_who_won(
    page: Any, live_server: Any, open_page: Callable[..., Any]
) -> None:
    group = Group.objects.get_or_create(name="agents")[0]
    for name in ("alice", "bob"):
        User.objects.create_user(name, password="pw " + name, is_staff=True).groups.add(group)
    made = seed_queue()
    target = made["parcel"]

    # Both open the same complaint...
    log_in(page, live_server, "alice", "pw alice")
    page.goto(f"{live_server.url}/agents/complaints/{target.pk}/")
    other = open_page(viewport={"width": 1400, "height": 900})
    log_in(other, live_server, "bob", "pw bob")
    other.goto(f"{live_server.url}/agents/complaints/{target.pk}/")

    # ... bob resolves first, then alice tries.
    other.fill("#resolve-note", "Reshipped the parcel.")
    other.click("#resolve-form button[value=stay]")
    other.wait_for_selector(".flash-success")
    page.fill("#resolve-note", "Refunded.")
    page.click("#resolve-form button[value=stay]")
    page.wait_for_selector(".flash-error")
    assert f"{target.reference} was already resolved by bob" in page.locator(".flash").inner_text()
    screenshot(page, "agents-conflict")
    target.refresh_from_db()
    assert target.resolution_note == "Reshipped the parcel."


def seed_filtered_messages() -> None:
    """Three messages the classifier filtered out, as the worker would have stored them."""
    import uuid

    from django.utils import timezone

    from ingestion.models import Message, RawEvent

    now = timezone.now()
    event = RawEvent.objects.create(
        source="social",
        provider="x",
        lake_key=f"raw/social/{uuid.uuid4()}.json",
        sha256="0" * 64,
        size=2,
        received_at=now,
        status=RawEvent.Status.PROCESSED,
    )
    for text, reason in [
        ("lol my router is on fire again, third outage this week, cheers @acme", "joke"),
        ("Love the new app design!", "praise"),
        ("WIN A FREE PHONE click here", "spam"),
    ]:
        Message.objects.create(
            raw_event=event,
            source="social",
            channel="x_mention",
            provider="x",
            external_id=str(uuid.uuid4()),
            customer_handle="@dave",
            text=text,
            occurred_at=now,
            received_at=now,
            status=Message.Status.FILTERED,
            is_complaint=False,
            not_complaint_reason=reason,
            complaint_confidence=0.3,
            model_version="m-1",
        )


def test_an_agent_promotes_a_filtered_message_into_the_queue(page: Any, live_server: Any) -> None:
    User.objects.create_user("alice", password="correct horse", is_staff=True).groups.add(
        Group.objects.get_or_create(name="agents")[0]
    )
    seed_filtered_messages()
    log_in(page, live_server, "alice", "correct horse")
    page.click("text=Filtered messages")
    page.wait_for_url("**/agents/messages/filtered/")
    assert page.locator("[data-row]").count() == 3
    screenshot(page, "agents-filtered")
    row = page.locator("[data-row]", has_text="router is on fire")
    row.locator("select[name=category]").select_option("service_outage")
    row.locator("button", has_text="Promote").click()
    page.wait_for_selector(".flash-success")
    assert "Promoted into the queue as CMP-" in page.locator(".flash").inner_text()
    assert page.locator("[data-row]").count() == 2
    complaint = Complaint.objects.get()
    assert complaint.category == "service_outage" and complaint.customer_handle == "@dave"


@pytest.mark.parametrize("path", ["/agents/", "/agents/messages/filtered/"])
def test_on_a_phone_the_lists_scroll_sideways_by_themselves_not_the_whole_page(
    open_page: Callable[..., Any], live_server: Any, path: str
) -> None:
    User.objects.create_user("alice", password="correct horse", is_staff=True).groups.add(
        Group.objects.get_or_create(name="agents")[0]
    )
    seed_queue()
    seed_filtered_messages()
    phone = open_page(viewport={"width": 390, "height": 844})
    log_in(phone, live_server, "alice", "correct horse")
    phone.goto(f"{live_server.url}{path}")
    assert phone.locator("[data-row]").count() > 0
    screenshot(phone, "agents-phone" + path.replace("/", "-").rstrip("-"))
    # A page wider than the screen pushes the top bar and the search off it.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
