"""The rollup job's numbers on a hand-built data set, both DST days of 2026 in London included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from warehouse.models import Complaint, ComplaintEvent
from warehouse.reporting.models import (
    ALL,
    RollupCategoryAgreement,
    RollupDailyFlow,
    RollupDirtyDay,
    RollupFilteredDaily,
    RollupResponseTimes,
    RollupState,
    RollupVolumeHourly,
)
from warehouse.reporting.rollups import rollups_catch_up, rollups_requeue, rollups_update
from warehouse.services import complaint_note, complaint_resolve
from warehouse.tests.reporting_helpers import AUTUMN, SPRING, complaint_make, rebuild, utc

pytestmark = pytest.mark.django_db


def test_a_day_is_cut_at_local_midnight_so_the_autumn_dst_day_counts_25_hours(autumn_data) -> None:
    rebuild()
    by_day = {
        day: sum(RollupDailyFlow.objects.filter(day=day).values_list("received", flat=True))
        for day in (date(2026, 10, 24), AUTUMN, date(2026, 10, 26))
    }
    # In UTC the 25th would hold b, c and d; in London it holds a, b, c and d.
    assert by_day == {date(2026, 10, 24): 1, AUTUMN: 4, date(2026, 10, 26): 1}


def test_the_repeated_local_hour_on_the_autumn_dst_day_gives_two_hourly_rows(autumn_data) -> None:
    rebuild()
    rows = list(
        RollupVolumeHourly.objects.filter(day=AUTUMN)
        .order_by("hour_start")
        .values_list("hour_start", "local_hour", "source", "category", "complaints")
    )
    assert rows == [
        (utc("2026-10-24T23:00"), 0, "sms", "billing", 1),
        (utc("2026-10-25T00:00"), 1, "sms", "billing", 1),  # 01:00 BST
        (utc("2026-10-25T01:00"), 1, "web_form", "delivery", 1),  # 01:00 GMT, an hour later
        (utc("2026-10-25T23:00"), 23, "web_form", "billing", 1),
    ]


def test_the_spring_dst_day_has_23_hours_and_its_hours_are_numbered_by_the_local_clock(london) -> None:
    for received in (
        "2026-03-28T23:30",
        "2026-03-29T00:30",
        "2026-03-29T01:30",
        "2026-03-29T22:30",
        "2026-03-29T23:30",
    ):
        complaint_make(received=received)
    rebuild(now="2026-03-31T12:00")
    hours = list(
        RollupVolumeHourly.objects.filter(day=SPRING).order_by("hour_start").values_list("local_hour", flat=True)
    )
    assert hours == [0, 2, 23]  # 01:30 UTC is 02:30 BST: there is no 01:00 that day
    days = dict(
        RollupDailyFlow.objects.filter(day__range=(date(2026, 3, 28), date(2026, 3, 30))).values_list("day", "received")
    )
    assert days == {date(2026, 3, 28): 1, SPRING: 3, date(2026, 3, 30): 1}


def test_response_and_resolution_times_are_median_and_p90_per_day_source_and_category(autumn_data) -> None:
    rebuild()
    rows = {(r.source, r.category): r for r in RollupResponseTimes.objects.filter(day=AUTUMN)}
    everything = rows[(ALL, ALL)]
    # First responses on the 25th: 30 min, 1 h, 2 h, 3 h -> median 1.5 h; p90 at rank 2.7.
    assert (everything.complaints, everything.responded, everything.resolved) == (4, 4, 2)
    assert everything.first_response_median_seconds == 5400
    assert everything.first_response_p90_seconds == pytest.approx(9720)
    # Resolutions: 4 h and 10 h.
    assert everything.resolution_median_seconds == 25200
    assert everything.resolution_p90_seconds == pytest.approx(33840)
    sms = rows[("sms", ALL)]
    assert (sms.first_response_median_seconds, sms.first_response_p90_seconds) == (5400, pytest.approx(6840))
    assert sms.resolution_median_seconds == 36000
    billing = rows[(ALL, "billing")]
    assert (billing.first_response_median_seconds, billing.first_response_p90_seconds) == (
        7200,
        pytest.approx(10080),
    )
    assert billing.resolution_median_seconds == 36000  # a alone: b and d are open
    assert rows[("web_form", "billing")].resolved == 0


def test_closures_are_counted_on_the_day_they_happen_which_gives_the_backlog(autumn_data) -> None:
    rebuild()
    flows = {}
    for day in (date(2026, 10, 24), AUTUMN, date(2026, 10, 26)):
        rows = RollupDailyFlow.objects.filter(day=day)
        flows[day] = tuple(sum(getattr(r, f) for r in rows) for f in ("received", "resolved", "dismissed"))
    # a (resolved 09:30 UTC) and c (05:45 UTC) on the 25th; f dismissed at 10:00 UTC on the 25th.
    assert flows == {date(2026, 10, 24): (1, 0, 0), AUTUMN: (4, 2, 1), date(2026, 10, 26): (1, 0, 0)}


def test_agreement_compares_the_customers_category_with_what_the_classifier_first_said(autumn_data) -> None:
    rebuild()
    rows = set(
        RollupCategoryAgreement.objects.values_list("day", "customer_category", "classifier_category", "complaints")
    )
    assert rows == {(AUTUMN, "delivery", "delivery", 1), (AUTUMN, "billing", "pricing_refunds", 1)}


def test_filtered_messages_are_counted_per_local_day_source_channel_and_reason(autumn_data) -> None:
    rebuild()
    rows = set(RollupFilteredDaily.objects.values_list("day", "source", "channel", "reason", "messages"))
    assert rows == {
        (AUTUMN, "sms", "sms", "spam", 2),
        (AUTUMN, "social", "x_mention", "joke", 1),
        (AUTUMN, "web_form", "web_form", "praise", 1),
        (date(2026, 10, 26), "sms", "sms", "spam", 1),
    }


def test_a_run_stopped_halfway_resumes_where_it_got_to_and_ends_with_the_same_numbers(autumn_data) -> None:
    rollups_requeue(since=date(2026, 10, 20), until=date(2026, 10, 30))
    first = rollups_update(now=utc("2026-10-30T12:00"), max_days=3)
    assert first.days == 3 and first.days_left == 11 - 3
    assert not RollupDirtyDay.objects.filter(day=date(2026, 10, 30)).exists()  # newest first
    assert RollupDirtyDay.objects.filter(day=AUTUMN).exists()
    rollups_catch_up(now=utc("2026-10-30T12:00"))
    assert RollupDirtyDay.objects.count() == 0
    after_resume = sorted(
        RollupDailyFlow.objects.values_list("day", "source", "channel", "category", "received", "resolved", "dismissed")
    )
    rollups_requeue(since=date(2026, 10, 20), until=date(2026, 10, 30))
    rollups_catch_up(now=utc("2026-10-30T12:00"))
    assert (
        sorted(
            RollupDailyFlow.objects.values_list(
                "day", "source", "channel", "category", "received", "resolved", "dismissed"
            )
        )
        == after_resume
    )
    assert RollupState.objects.get().last_error == ""


def test_an_agent_resolving_an_old_complaint_updates_the_days_it_touches_through_the_audit_feed(london) -> None:
    old = complaint_make(received="2026-09-01T10:00")
    rebuild(now="2026-09-02T12:00")
    state = RollupState.objects.get()
    assert RollupDailyFlow.objects.get(day=date(2026, 9, 1)).resolved == 0
    agent = get_user_model().objects.create_user("agent", is_staff=True)
    complaint_resolve(complaint_id=old.pk, actor=agent, note="Refunded.")
    resolved_on = timezone.localdate(timezone.now())

    result = rollups_update(now=timezone.now() + timedelta(seconds=1))

    assert result.events == 1
    assert RollupState.objects.get().last_event_id == ComplaintEvent.objects.latest("id").id > state.last_event_id
    response = RollupResponseTimes.objects.get(day=date(2026, 9, 1), source=ALL, category=ALL)
    assert (response.responded, response.resolved) == (1, 1)
    assert RollupDailyFlow.objects.get(day=resolved_on, source="sms").resolved == 1


def test_audit_entries_younger_than_the_lag_wait_for_the_next_run(london) -> None:
    london.REPORTING_ROLLUP_LAG_SECONDS = 600
    old = complaint_make(received="2026-09-01T10:00")
    rebuild(now="2026-09-02T12:00")
    agent = get_user_model().objects.create_user("agent", is_staff=True)
    complaint_resolve(complaint_id=old.pk, actor=agent, note="Refunded.")
    before = RollupState.objects.get().last_event_id

    assert rollups_update(now=timezone.now()).events == 0
    assert RollupState.objects.get().last_event_id == before
    assert rollups_update(now=timezone.now() + timedelta(minutes=11)).events == 1


def test_a_second_run_while_the_first_holds_the_lease_does_nothing(london) -> None:
    complaint_make(received="2026-09-01T10:00")
    rollups_update(now=utc("2026-09-02T12:00"))
    RollupState.objects.update(lease_owner="someone", lease_until=timezone.now() + timedelta(minutes=5))
    rollups_requeue(since=date(2026, 9, 1), until=date(2026, 9, 1))

    assert rollups_update(now=timezone.now()).skipped
    assert RollupDirtyDay.objects.filter(day=date(2026, 9, 1)).exists()
    # A lease whose holder died expires.
    assert not rollups_update(now=timezone.now() + timedelta(minutes=6)).skipped


def test_changing_time_zone_recomputes_every_day_in_the_new_zone(london) -> None:
    complaint_make(received="2026-10-24T23:30")  # the 25th in London, the 24th in UTC
    rollups_catch_up(now=utc("2026-10-26T12:00"))
    assert RollupDailyFlow.objects.get().day == AUTUMN
    london.TIME_ZONE = "UTC"

    rollups_catch_up(now=utc("2026-10-26T12:00"))

    assert RollupDailyFlow.objects.get().day == date(2026, 10, 24)
    assert RollupState.objects.get().time_zone == "UTC"


def test_queueing_the_whole_history_moves_the_change_feed_on_to_now(london) -> None:
    complaint = complaint_make(received="2026-09-01T10:00")
    event = ComplaintEvent.objects.create(complaint=complaint, action=ComplaintEvent.Action.CREATED)

    queued = rollups_requeue(now=timezone.now() + timedelta(seconds=1))

    assert RollupState.objects.get().last_event_id == event.id
    assert queued == (timezone.localdate() - date(2026, 9, 1)).days + 1
    assert RollupDirtyDay.objects.filter(day=date(2026, 9, 1)).exists()


def test_recomputing_a_day_rewrites_only_the_rows_that_changed(autumn_data) -> None:
    rebuild()
    hourly = set(RollupVolumeHourly.objects.filter(day=AUTUMN).values_list("id", "complaints"))
    Complaint.objects.filter(pk=autumn_data["b"].pk).update(status="resolved", resolved_at=utc("2026-10-25T12:00"))
    rollups_requeue(since=AUTUMN, until=AUTUMN)

    result = rollups_update(now=utc("2026-10-31T12:00"))

    assert set(RollupVolumeHourly.objects.filter(day=AUTUMN).values_list("id", "complaints")) == hourly
    assert sum(RollupDailyFlow.objects.filter(day=AUTUMN).values_list("resolved", flat=True)) == 3
    # b's flow row (sms, billing) and four response-time rows changed: each one deleted and inserted.
    assert result.rows == 2 * (1 + 4)


def test_a_note_added_after_a_dismissal_leaves_the_dismissal_on_its_own_day(london) -> None:
    dismissed = complaint_make(received="2026-09-01T08:00", dismissed_at="2026-09-01T09:00")
    agent = get_user_model().objects.create_user("agent", is_staff=True)
    complaint_note(complaint_id=dismissed.pk, actor=agent, note="Checked again: spam.")
    # The note is audited with to_status "dismissed", like the dismissal; it came days later.
    ComplaintEvent.objects.filter(action=ComplaintEvent.Action.NOTE).update(created_at=utc("2026-09-05T10:00"))
    rebuild(now="2026-09-10T12:00")
    dismissals = dict(RollupDailyFlow.objects.filter(dismissed__gt=0).values_list("day", "dismissed"))
    # Closed on the 1st: the backlog is 0 from that evening, not from the 5th.
    assert dismissals == {date(2026, 9, 1): 1}
