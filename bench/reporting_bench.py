#!/usr/bin/env python
"""Benchmark: every reporting view and the dashboard JSON on the seeded database (1M complaints).

    .venv/bin/python bench/reporting_seed.py            # once: ~1M complaints by COPY + rollup rebuild
    .venv/bin/python bench/reporting_bench.py [--db bench_reporting] [--runs 9] [--write-docs]

Each query runs once to warm the cache, then --runs times; the median and the worst are reported.
Views are read as an analyst role made for the run (dropped afterwards), over its own connection,
with its statement_timeout: what an analyst would see. The dashboard endpoint goes through
Django's test client as a staff user (URL routing, middleware, selectors, JSON encoding). The
incremental rollup run (what the beat task does every 5 minutes) is timed after 500 complaints
are resolved through the audited service.

--write-docs replaces the reporting section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- reporting:begin -->"
END = "<!-- reporting:end -->"
LIMIT_MS = 500

# (view, what an analyst asks, SQL). The time-bound ones use the indexes on receipt time; the
# aggregate views are small (rollups) and are read whole.
QUERIES = [
    ("complaints", "count of every complaint", "SELECT count(*) FROM reporting.complaints"),
    (
        "complaints",
        "yesterday's complaints, every column (masked text, hash)",
        "SELECT * FROM reporting.complaints WHERE received_at >= now() - interval '2 days' "
        "AND received_at < now() - interval '1 day'",
    ),
    (
        "complaints",
        "latest 1,000, every column",
        "SELECT * FROM reporting.complaints ORDER BY received_at DESC LIMIT 1000",
    ),
    (
        "complaints",
        "open complaints per source and category",
        "SELECT source, category, count(*) FROM reporting.complaints WHERE is_open GROUP BY 1, 2",
    ),
    (
        "volume_hourly",
        "the last 7 days, every row",
        "SELECT * FROM reporting.volume_hourly WHERE day >= current_date - 7",
    ),
    (
        "volume_hourly",
        "hour-of-day profile over 90 days",
        "SELECT local_hour, sum(complaints) FROM reporting.volume_hourly WHERE day >= current_date - 90 GROUP BY 1",
    ),
    (
        "volume_daily",
        "two years per day and source",
        "SELECT day, source, sum(complaints) FROM reporting.volume_daily GROUP BY 1, 2",
    ),
    ("daily_flow", "every row", "SELECT * FROM reporting.daily_flow"),
    ("backlog_daily", "every row (all days, every source)", "SELECT * FROM reporting.backlog_daily"),
    (
        "backlog_daily",
        "the overall line, 90 days",
        "SELECT day, open_at_end_of_day FROM reporting.backlog_daily WHERE source = '*' AND day >= current_date - 90",
    ),
    ("response_times_daily", "every row", "SELECT * FROM reporting.response_times_daily"),
    ("category_agreement_daily", "every row", "SELECT * FROM reporting.category_agreement_daily"),
    ("category_agreement", "every row", "SELECT * FROM reporting.category_agreement"),
    (
        "filtered_messages_daily",
        "two years per day and source",
        "SELECT day, source, sum(messages) FROM reporting.filtered_messages_daily GROUP BY 1, 2",
    ),
    ("weekly_trends", "every flagged change", "SELECT * FROM reporting.weekly_trends WHERE flagged"),
    ("categories", "every row", "SELECT * FROM reporting.categories"),
    ("rollup_status", "every row", "SELECT * FROM reporting.rollup_status"),
]
DASHBOARD: list[tuple[str, dict[str, Any]]] = [
    ("default: last 30 days, all sources", {}),
    ("last 90 days, one source", {"days": 90, "source": "sms"}),
    ("last 365 days, all sources", {"days": 365}),
    ("CSV of the backlog, 365 days", {"days": 365, "csv": "backlog"}),
]


def timed(fn: Any, runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}; "
        f"load average at the end of the run {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="bench_reporting")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="also time a full rollup rebuild")
    args = parser.parse_args()

    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    os.environ["DATABASE_URL"] = f"{server}/{args.db}"
    os.environ.setdefault("TIME_ZONE", "Europe/London")
    os.environ.setdefault("DEBUG", "false")  # as in production: DEBUG keeps every query in memory
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
    import django

    django.setup()
    import psycopg2
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from warehouse.models import Complaint
    from warehouse.reporting.daycompute import ROLLUP_MODELS
    from warehouse.reporting.models import RollupWeeklyTrend
    from warehouse.reporting.roles import analyst_role_create, analyst_role_drop
    from warehouse.reporting.rollups import rollups_catch_up, rollups_requeue, rollups_update
    from warehouse.services import complaint_resolve

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM warehouse_complaint")
        complaints = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ingestion_message WHERE status = 'filtered'")
        filtered = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(" on ")[0]

    name = f"bench_analyst_{uuid.uuid4().hex[:8]}"
    role = analyst_role_create(name=name, password=uuid.uuid4().hex)
    db = connection.settings_dict
    results: list[dict[str, Any]] = []
    try:
        analyst = psycopg2.connect(
            host=db["HOST"], port=db["PORT"] or 5432, dbname=db["NAME"], user=name, password=role.password
        )
        analyst.autocommit = True
        for view, what, sql in QUERIES:
            with analyst.cursor() as cursor:

                def run(cursor: Any = cursor, sql: str = sql) -> None:
                    cursor.execute(sql)
                    cursor.fetchall()

                run()
                count = cursor.rowcount
                median, worst = timed(run, args.runs)
            results.append(
                {
                    "kind": "view",
                    "name": view,
                    "what": what,
                    "rows": count,
                    "median_ms": round(median, 1),
                    "max_ms": round(worst, 1),
                }
            )
            print(f"{view:26} {what:55} {count:>8} rows {median:8.1f} ms (max {worst:.1f})", flush=True)
        # Not a target: what the rollups spare an analyst (a live aggregate over every row).
        with analyst.cursor() as cursor:

            def live_per_day(cursor: Any = cursor) -> None:
                cursor.execute("SELECT received_day, count(*) FROM reporting.complaints GROUP BY 1")
                cursor.fetchall()

            live_median, _ = timed(live_per_day, 3)
        analyst.close()
    finally:
        analyst_role_drop(name=name)

    staff, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)
    today = timezone.localdate()
    for what, spec in DASHBOARD:
        params = {}
        if "days" in spec:
            params["start"] = (today - timedelta(days=spec["days"] - 1)).isoformat()
            params["end"] = today.isoformat()
        if "source" in spec:
            params["source"] = spec["source"]
        url = f"/dashboard/data/{spec['csv']}.csv" if "csv" in spec else "/dashboard/data.json"

        def get(url: str = url, params: dict[str, str] = params) -> None:
            response = client.get(url, params, HTTP_HOST="localhost")
            assert response.status_code == 200, response.content[:300]

        median, worst = timed(get, args.runs)
        results.append(
            {"kind": "dashboard", "name": url, "what": what, "median_ms": round(median, 1), "max_ms": round(worst, 1)}
        )
        print(f"{url:26} {what:55} {median:8.1f} ms (max {worst:.1f})", flush=True)

    # The beat task's typical run: 500 complaints from across two years resolved since the last one.
    agent = staff
    open_ids = list(Complaint.objects.filter(status="pending").order_by("?").values_list("id", flat=True)[:500])
    for complaint_id in open_ids:
        complaint_resolve(complaint_id=complaint_id, actor=agent, note="Resolved for the benchmark.")
    started = time.perf_counter()
    incremental = rollups_update(now=timezone.now() + timedelta(minutes=5))
    incremental_s = time.perf_counter() - started
    print(f"incremental rollup run: {incremental.events} audit entries, {incremental.days} days, {incremental_s:.1f} s")

    rebuild: dict[str, Any] = {}
    if args.rebuild:
        # From empty, as on a fresh install: a rebuild over unchanged rollups writes nothing.
        with connection.cursor() as cursor:
            for model in (*ROLLUP_MODELS, RollupWeeklyTrend):
                cursor.execute(f"TRUNCATE {model._meta.db_table}")
        started = time.perf_counter()
        rollups_requeue()
        runs = rollups_catch_up()
        rebuild = {
            "days": sum(r.days for r in runs),
            "rows": sum(r.rows for r in runs),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(f"full rollup rebuild: {rebuild['days']} days, {rebuild['rows']} rows, {rebuild['seconds']} s")

    seed_file = ROOT / "var" / f"{args.db}-seed.json"
    summary = {
        "seed": json.loads(seed_file.read_text()) if seed_file.exists() else {},
        "machine": machine(),
        "postgresql": pg_version,
        "complaints": complaints,
        "filtered_messages": filtered,
        "results": results,
        "incremental": {"events": incremental.events, "days": incremental.days, "seconds": round(incremental_s, 2)},
        "rebuild": rebuild,
        "live_per_day_ms": round(live_median),
        "command": subprocess.list2cmdline(["bench/reporting_bench.py", *sys.argv[1:]]),
    }
    slow = [r for r in results if r["median_ms"] >= LIMIT_MS]
    print(json.dumps({"over_limit": slow}, indent=2))
    if args.write_docs:
        write_docs(summary)


def write_docs(summary: dict[str, Any]) -> None:
    lines = [
        BEGIN,
        "## Reporting views and dashboard (issue 7)",
        "",
        f"Machine: {summary['machine']}; {summary['postgresql']}, shared with other work at the time.",
        f"Data: {summary['complaints']:,} complaints over two years and {summary['filtered_messages']:,} filtered "
        "messages, seeded by COPY (`.venv/bin/python bench/reporting_seed.py`), rollups rebuilt.",
        f"Command: `.venv/bin/python {summary['command']}` (warm cache; median and worst of the runs).",
        f"Aim: every view and the dashboard JSON under {LIMIT_MS} ms.",
        "",
        "| view or endpoint | query | rows | median ms | worst ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in summary["results"]:
        name = f"`reporting.{r['name']}`" if r["kind"] == "view" else f"`{r['name']}`"
        lines.append(f"| {name} | {r['what']} | {r.get('rows', '')} | {r['median_ms']} | {r['max_ms']} |")
    inc = summary["incremental"]
    seed = summary["seed"]
    if seed:
        lines += [
            "",
            f"Seeding: COPY {seed['copy_seconds']} s, then the complaint table's secondary indexes "
            f"{seed['index_seconds']} s.",
        ]
    if summary["rebuild"]:
        rebuild = summary["rebuild"]
        lines.append(
            f"Full rollup rebuild from empty tables (a fresh install, or `manage.py reporting_rollups --rebuild` "
            f"after a change of TIME_ZONE: {rebuild['days']} days, {rebuild['rows']:,} rollup rows): "
            f"{rebuild['seconds']} s."
        )
    lines += [
        "",
        f"Incremental rollup run (the beat task, every 5 minutes) after {inc['events']} open complaints, picked at "
        "random across the two years (the worst case: most touch a different day), were resolved through the "
        f"audited service: {inc['days']} days recomputed in {inc['seconds']} s. A day costs about "
        f"{round(1000 * inc['seconds'] / max(inc['days'], 1))} ms at this volume; a run's cost follows the number "
        "of distinct days touched, not the number of changes.",
        "",
        "For comparison (not a target): counting per day from the live `reporting.complaints` over all its rows "
        f"(`GROUP BY received_day`, two years) takes {summary['live_per_day_ms']} ms at this size; "
        "`reporting.volume_daily` answers the same question from the rollups.",
        END,
    ]
    block = "\n".join(lines)
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(text)
    print(f"wrote the reporting section of {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
