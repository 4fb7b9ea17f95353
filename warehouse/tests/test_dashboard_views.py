"""The dashboards' page, JSON endpoint and CSV downloads: who may see them, and the numbers they show."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from warehouse.models import Complaint
from warehouse.tests.reporting_helpers import rebuild, utc

pytestmark = pytest.mark.django_db

AUTUMN_RANGE = {"start": "2026-10-24", "end": "2026-10-26"}


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("sam", is_staff=True))
    return client


def data(client: Client, **params: str) -> dict:  # type: ignore[type-arg]
    response = client.get("/dashboard/data.json", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_anonymous_visitors_are_sent_to_log_in_and_get_no_data(client: Client) -> None:
    page = client.get("/dashboard/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/?next=/dashboard/")
    assert client.get("/dashboard/data.json").status_code == 403
    assert client.get("/dashboard/data/backlog.csv").status_code == 403


def test_logged_in_customers_who_are_not_staff_are_refused(client: Client) -> None:
    client.force_login(get_user_model().objects.create_user("customer"))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/data.json").status_code == 403
    assert client.get("/dashboard/data/backlog.csv").status_code == 403


def test_staff_get_the_page_with_a_canvas_per_chart_and_the_local_chart_library(staff_client: Client) -> None:
    page = staff_client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    for chart in (
        "volume_by_source",
        "volume_by_category",
        "backlog",
        "response_times",
        "trends_by_category",
        "filtered",
    ):
        assert f'data-chart="{chart}"' in html
    assert "/static/dashboard/vendor/chart.umd.min.js" in html
    assert "cdn" not in html.lower()


def test_volumes_backlog_and_response_times_match_the_hand_built_day(
    staff_client: Client, autumn_data, categories
) -> None:
    rebuild()
    body = data(staff_client, **AUTUMN_RANGE)
    charts = body["charts"]
    by_source = charts["volume_by_source"]
    assert by_source["columns"] == ["day", "sms", "web_form", "call_center"]
    assert by_source["rows"] == [["2026-10-24", 0, 0, 1], ["2026-10-25", 2, 2, 0], ["2026-10-26", 1, 0, 0]]
    assert charts["volume_by_category"]["rows"][1] == ["2026-10-25", 3, 1]  # billing, delivery
    assert charts["backlog"]["rows"] == [
        ["2026-10-24", 1, 0, 1],
        ["2026-10-25", 4, 3, 2],
        ["2026-10-26", 1, 0, 3],
    ]
    day = charts["response_times"]["rows"][1]
    assert day[:3] == ["2026-10-25", 1.5, 2.7] and day[3:] == [7.0, 9.4, 4]
    assert charts["response_times"]["rows"][0][1] is None  # nothing answered: no median, not zero
    assert charts["filtered"]["columns"] == ["day", "spam", "joke", "praise"]
    assert charts["filtered"]["rows"][1] == ["2026-10-25", 2, 1, 1]
    assert body["kpis"] == {"complaints": 6, "closed": 3, "open_at_end": 3, "filtered": 5, "flagged_trends": 0}
    assert body["labels"]["category"]["billing"] == "Billing and payments"
    assert body["time_zone"] == "Europe/London"


def test_the_source_filter_narrows_every_chart(staff_client: Client, autumn_data) -> None:
    rebuild()
    charts = data(staff_client, source="sms", **AUTUMN_RANGE)["charts"]
    assert charts["volume_by_source"]["columns"] == ["day", "sms"]
    assert [row[3] for row in charts["backlog"]["rows"]] == [0, 1, 2]
    assert charts["response_times"]["rows"][1][1] == 1.5  # a in 1 h, b in 2 h
    assert charts["filtered"]["rows"] == [["2026-10-24", 0], ["2026-10-25", 2], ["2026-10-26", 1]]


def test_the_backlog_starts_from_everything_still_open_before_the_range(staff_client: Client, autumn_data) -> None:
    rebuild()
    rows = data(staff_client, start="2026-10-26", end="2026-10-27")["charts"]["backlog"]["rows"]
    assert rows == [["2026-10-26", 1, 0, 3], ["2026-10-27", 0, 0, 3]]


def test_each_chart_downloads_as_csv_with_the_same_rows(staff_client: Client, autumn_data) -> None:
    rebuild()
    charts = data(staff_client, **AUTUMN_RANGE)["charts"]
    for name, table in charts.items():
        response = staff_client.get(f"/dashboard/data/{name}.csv", AUTUMN_RANGE)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"{name}_2026-10-24_2026-10-26.csv" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == table["columns"]
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table["rows"]]


def test_rising_categories_are_flagged_on_the_dashboard(staff_client: Client, london) -> None:
    monday = date(2026, 11, 9)
    rows = []
    for offset in range(14):
        day = monday - timedelta(days=7) + timedelta(days=offset)
        count = 8 if offset >= 7 else 2  # 56 this week against 14 last week
        for i in range(count):
            at = utc(f"{day.isoformat()}T10:{i:02d}")
            rows.append(
                Complaint(
                    reference=f"CMP-R-{day:%m%d}-{i}",
                    source="social",
                    channel="x_mention",
                    external_id=f"r-{day}-{i}",
                    message_id=__import__("uuid").uuid4(),
                    text="late",
                    category="delivery",
                    occurred_at=at,
                    received_at=at,
                )
            )
    Complaint.objects.bulk_create(rows)
    rebuild(now="2026-11-16T12:00")
    body = data(staff_client, start="2026-10-20", end="2026-11-15")
    trend = body["charts"]["trends_by_category"]
    assert trend["rows"][0][:4] == ["delivery", 56, 14, 300.0]
    assert trend["rows"][0][5] == "rising"
    assert trend["meta"] == {"this_week": ["2026-11-09", "2026-11-15"], "last_week": ["2026-11-02", "2026-11-08"]}
    assert body["charts"]["trends_by_source"]["rows"][0][5] == "rising"
    assert body["kpis"]["flagged_trends"] == 2


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"start": "25/10/2026"}, "YYYY-MM-DD"),
        ({"start": "2026-10-26", "end": "2026-10-24"}, "start is after end"),
        ({"start": "2020-01-01", "end": "2026-10-24"}, "at most 400 days"),
        ({"source": "carrier_pigeon"}, "unknown source"),
    ],
)
def test_bad_filters_get_a_400_that_says_why(staff_client: Client, params: dict[str, str], reason: str) -> None:
    response = staff_client.get("/dashboard/data.json", params)
    assert response.status_code == 400 and reason in response.json()["error"]
    page = staff_client.get("/dashboard/", params)
    assert page.status_code == 400 and reason in page.content.decode()


def test_an_unknown_chart_is_a_404(staff_client: Client) -> None:
    assert staff_client.get("/dashboard/data/pie.csv").status_code == 404


def test_the_freshness_line_reports_the_last_rollup_run(staff_client: Client, autumn_data) -> None:
    rebuild()
    freshness = data(staff_client, **AUTUMN_RANGE)["freshness"]
    assert freshness["days_queued"] == 0 and freshness["last_run_failed"] is False
    assert freshness["last_finished_at"] is not None


def test_volume_spikes_detected_by_monitoring_show_on_the_dashboard(staff_client: Client) -> None:
    from django.utils import timezone

    from monitoring.models import VolumeSpike

    end = timezone.now() - timedelta(minutes=2)
    VolumeSpike.objects.create(
        scope="source",
        key="social",
        window_start=end - timedelta(minutes=15),
        window_end=end,
        count=48,
        baseline_median=6,
        baseline_mad=2,
        baseline_samples=12,
        threshold=20,
    )
    spikes = data(staff_client)["spikes"]
    assert [(s["scope"], s["key"], s["count"], s["usual"]) for s in spikes] == [("source", "social", 48, 6)]
    assert data(staff_client, source="sms")["spikes"] == []
