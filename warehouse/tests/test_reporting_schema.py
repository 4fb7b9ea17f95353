"""The `reporting` schema's views (PostgreSQL): right numbers on the hand-built set, no raw PII."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from warehouse.reporting.schema import VIEWS, customer_hash, reporting_settings_sync, reporting_views_present
from warehouse.tests.reporting_helpers import AUTUMN, SPRING, complaint_make, rebuild

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the reporting schema is PostgreSQL only"),
]


def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def test_the_migrations_create_every_documented_view() -> None:
    assert reporting_views_present() == list(VIEWS)


def test_complaints_carry_a_keyed_hash_and_masked_text_instead_of_contact_details(london) -> None:
    complaint_make(
        received="2026-10-25T09:00",
        handle="+447700900123",
        name="Ann Customer",
        email="ann.customer@example.com",
        phone="+44 7700 900123",
        text="Call me on +44 7700 900123 or (020) 7946 0958, or mail ann.customer@example.com about order 48213.",
    )
    reporting_settings_sync()
    [(hashed, masked, has_email, has_phone)] = rows(
        "SELECT customer_hash, text_masked, has_contact_email, has_contact_phone FROM reporting.complaints"
    )
    assert masked == "Call me on [phone] or [phone], or mail [email] about order 48213."
    assert hashed == customer_hash("+447700900123") and len(hashed) == 64
    assert (has_email, has_phone) == (True, True)
    # No column of the view holds any of the raw details.
    [row] = rows("SELECT * FROM reporting.complaints")
    flat = " ".join(str(value) for value in row)
    for secret in ("+44", "900123", "ann.customer", "example.com", "Ann Customer", "Customer"):
        assert secret not in flat


def test_the_hash_depends_on_the_secret_key_so_it_cannot_be_recomputed_from_a_phone_number(london) -> None:
    complaint_make(received="2026-10-25T09:00", handle="+447700900123")
    london.REPORTING_HASH_KEY = "first key"
    reporting_settings_sync()
    [(first,)] = rows("SELECT customer_hash FROM reporting.complaints")
    london.REPORTING_HASH_KEY = "second key"
    reporting_settings_sync()
    [(second,)] = rows("SELECT customer_hash FROM reporting.complaints")
    assert first != second
    import hashlib

    assert first != hashlib.sha256(b"+447700900123").hexdigest()
    assert second == customer_hash("+447700900123")


def test_the_same_customer_gets_the_same_hash_whatever_the_case_and_spaces(london) -> None:
    complaint_make(received="2026-10-25T09:00", source="social", channel="x_dm", handle="AnnOnX")
    complaint_make(received="2026-10-25T10:00", source="social", channel="x_dm", handle=" annonx ")
    complaint_make(received="2026-10-25T11:00", source="web_form", channel="web_form", handle="")
    reporting_settings_sync()
    hashes = [h for (h,) in rows("SELECT customer_hash FROM reporting.complaints ORDER BY received_at")]
    assert hashes[0] == hashes[1] is not None and hashes[2] is None


def test_received_day_and_hour_follow_the_internal_zone_across_both_dst_changes(london) -> None:
    for received in ("2026-10-24T23:30", "2026-10-25T01:45", "2026-03-29T01:30", "2026-03-29T23:30"):
        complaint_make(received=received)
    reporting_settings_sync()
    got = rows("SELECT received_day, received_hour FROM reporting.complaints ORDER BY received_at")
    assert got == [(SPRING, 2), (date(2026, 3, 30), 0), (AUTUMN, 0), (AUTUMN, 1)]


def test_volume_views_count_the_25_hour_day_in_local_time(autumn_data) -> None:
    rebuild()
    assert rows("SELECT day, sum(complaints) FROM reporting.volume_daily GROUP BY day ORDER BY day") == [
        (date(2026, 10, 24), 1),
        (AUTUMN, 4),
        (date(2026, 10, 26), 1),
    ]
    hourly = rows(
        "SELECT local_hour, hour_local, complaints FROM reporting.volume_hourly WHERE day = %s ORDER BY hour_start",
        [AUTUMN],
    )
    assert [(h, n) for h, _, n in hourly] == [(0, 1), (1, 1), (1, 1), (23, 1)]
    assert str(hourly[1][1]) == str(hourly[2][1]) == "2026-10-25 01:00:00"


def test_response_times_view_agrees_with_percentile_cont_over_the_complaints_view(autumn_data) -> None:
    rebuild()
    stored = rows(
        "SELECT day, first_response_median_seconds, first_response_p90_seconds, resolution_median_seconds, "
        "resolution_p90_seconds FROM reporting.response_times_daily WHERE source = '*' AND category = '*' "
        "ORDER BY day"
    )
    recomputed = rows(
        """
        SELECT received_day,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_seconds),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_seconds),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_seconds),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_seconds)
        FROM reporting.complaints GROUP BY received_day ORDER BY received_day
        """
    )
    assert len(stored) == 3
    for got, expected in zip(stored, recomputed, strict=True):
        assert got[0] == expected[0]
        assert got[1:] == pytest.approx(expected[1:])
    assert stored[1][1:3] == (5400, pytest.approx(9720))


def test_backlog_is_the_running_count_of_open_complaints_per_source_and_overall(autumn_data) -> None:
    rebuild()
    overall = rows(
        "SELECT day, received, resolved, dismissed, open_at_end_of_day FROM reporting.backlog_daily "
        "WHERE source = '*' ORDER BY day"
    )
    assert overall == [(date(2026, 10, 24), 1, 0, 0, 1), (AUTUMN, 4, 2, 1, 2), (date(2026, 10, 26), 1, 0, 0, 3)]
    sms = rows("SELECT day, open_at_end_of_day FROM reporting.backlog_daily WHERE source = 'sms' ORDER BY day")
    # a (received 00:30 BST on the 25th) resolved that day; b open; e arrives on the 26th.
    assert sms == [(date(2026, 10, 24), 0), (AUTUMN, 1), (date(2026, 10, 26), 2)]
    # The open count at the end matches the live state of the complaints.
    [(open_now,)] = rows("SELECT count(*) FROM reporting.complaints WHERE is_open")
    assert overall[-1][-1] == open_now


def test_category_agreement_views(autumn_data) -> None:
    rebuild()
    assert rows(
        "SELECT customer_category, complaints, agreed, agreement_rate FROM reporting.category_agreement "
        "ORDER BY customer_category"
    ) == [
        ("*", 2, 1, Decimal("0.5")),
        ("billing", 1, 0, Decimal(0)),
        ("delivery", 1, 1, Decimal(1)),
    ]
    assert rows("SELECT classifier_category, agreed FROM reporting.category_agreement_daily ORDER BY 1") == [
        ("delivery", True),
        ("pricing_refunds", False),
    ]


def test_filtered_messages_view_counts_per_source(autumn_data) -> None:
    rebuild()
    assert rows(
        "SELECT day, source, sum(messages) FROM reporting.filtered_messages_daily GROUP BY 1, 2 ORDER BY 1, 2"
    ) == [(AUTUMN, "sms", 2), (AUTUMN, "social", 1), (AUTUMN, "web_form", 1), (date(2026, 10, 26), "sms", 1)]


def test_rollup_status_says_how_current_the_aggregates_are(autumn_data) -> None:
    rebuild()
    [(name, tz, failed, queued)] = rows(
        "SELECT name, time_zone, last_run_failed, days_queued FROM reporting.rollup_status"
    )
    assert (name, tz, failed, queued) == ("rollups", "Europe/London", False, 0)
