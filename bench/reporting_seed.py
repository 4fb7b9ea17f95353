#!/usr/bin/env python
"""Seed a PostgreSQL database for the reporting benchmark: N complaints (default 1,000,000) by COPY.

Two years of a busy service, in the shape the reporting views care about: four sources and ten
channels, a skewed category mix, first responses within minutes to hours and resolutions within
hours to days, 5% dismissed (with their audit entries, which date the dismissal), a web-form
share whose customer's category the classifier mostly agrees with (the message ledger holds what
it said), and 300,000 messages filtered out as not complaints.

Rows are generated in Python and streamed with COPY; the complaint table's secondary indexes are
dropped for the load and built once after it; VACUUM ANALYZE; then the rollup job rebuilds every
day (timed: that is what a fresh install or `reporting_rollups --rebuild` costs).

Usage:
    .venv/bin/python bench/reporting_seed.py [--rows 1000000] [--filtered 300000] [--db bench_reporting]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seed_mix import CATEGORIES, SOURCES  # noqa: E402  (bench/ is the script's folder)

NULL = r"\N"
DAYS = 730
REASONS = [("spam", 45), ("question", 25), ("praise", 15), ("joke", 10), ("other", 5)]
PHRASES = {
    "billing": "I was charged twice for invoice {n}, call me on 07700 9{k}",
    "service_outage": "the internet has been down since Monday, third time I write",
    "delivery": "parcel {n} was marked delivered but never arrived, mail me at a{k}@example.com",
    "product_quality": "the kettle I bought broke after {d} days",
    "customer_service": "I waited {d} minutes on hold and got cut off",
    "account_access": "I am locked out of my account and the reset code never arrives",
    "fraud_security": "there are transactions on card 4111 1111 1111 {k4} I do not recognise",
    "pricing_refunds": "I was promised a refund of {d} pounds weeks ago",
    "other": "your letter had someone else's name on it",
}


def pick(rng: random.Random, weighted: list[tuple[Any, ...]]) -> Any:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def complaint_rows(
    count: int, seed: int, now: datetime, raw_ids: list[str]
) -> Iterator[tuple[list[str], list[str] | None, list[str] | None]]:
    """(complaint row, message row or None, dismissal event row or None) per complaint."""
    rng = random.Random(seed)
    span = DAYS * 86400
    for i in range(count):
        source, provider, channels, _ = pick(rng, SOURCES)
        channel = rng.choice(channels)
        category = pick(rng, CATEGORIES)[0]
        # Volume grows over the two years: younger days hold more complaints.
        received = now - timedelta(seconds=span * (1 - rng.random() ** 0.8))
        age = (now - received).total_seconds()
        roll = rng.random()
        status = "resolved"
        if roll < 0.05:
            status = "dismissed"
        elif (age < 14 * 86400 and roll < 0.45) or roll < 0.07:
            status = rng.choice(["pending", "in_progress"])
        first = NULL
        response = rng.lognormvariate(4.3, 1.0) * 60  # minutes to hours
        if status != "pending" and response < age:
            first = (received + timedelta(seconds=response)).isoformat()
        resolved = NULL
        if status == "resolved":
            took = min(response + rng.lognormvariate(10.5, 1.1), age)
            resolved = (received + timedelta(seconds=took)).isoformat()
        message_id = str(uuid.uuid4())
        complaint_id = str(uuid.uuid4())
        web = source == "web_form"
        said = category if rng.random() < 0.86 else pick(rng, CATEGORIES)[0]
        text = PHRASES[category].format(
            n=rng.randint(10000, 99999), k=rng.randint(10000, 99999), k4=rng.randint(1000, 9999), d=rng.randint(2, 60)
        )
        handle = f"@user{rng.randint(1, 400000)}" if source == "social" else f"+4477009{rng.randint(10000, 99999)}"
        received_iso = received.isoformat()
        complaint = [
            complaint_id,
            f"CMP-B-{i:08X}",
            source,
            channel,
            provider,
            f"bench-{i}",
            message_id,
            NULL,
            handle,
            "",
            f"a{i}@example.com" if web else "",
            handle if source == "sms" else "",
            text,
            "[]",
            category if web else "",
            category,
            f"{rng.uniform(0.4, 0.99):.3f}",
            f"{rng.uniform(0.5, 0.99):.3f}",
            "t" if rng.random() < 0.03 else "f",
            "[]",
            "bench-model-1",
            status,
            NULL,
            "Done." if status == "resolved" else "",
            received_iso,
            received_iso,
            first,
            resolved,
            received_iso,
            received_iso,
        ]
        message = None
        if web:
            message = [
                message_id,
                rng.choice(raw_ids),
                source,
                channel,
                provider,
                f"bench-{i}",
                handle,
                "",
                "",
                "",
                text,
                category,
                received_iso,
                received_iso,
                "[]",
                "{}",
                "complaint",
                "t",
                "",
                "0.9",
                said,
                "0.8",
                "f",
                "[]",
                "bench-model-1",
                received_iso,
                complaint_id,
                received_iso,
            ]
        event = None
        if status == "dismissed":
            when = (received + timedelta(seconds=min(response * 2, age))).isoformat()
            event = [complaint_id, NULL, "dismissed", "pending", "dismissed", "", '{"reason": "spam"}', when]
        yield complaint, message, event


def filtered_rows(count: int, seed: int, now: datetime, raw_ids: list[str]) -> Iterator[list[str]]:
    rng = random.Random(seed + 1)
    for i in range(count):
        source, provider, channels, _ = pick(rng, SOURCES)
        received = (now - timedelta(seconds=DAYS * 86400 * (1 - rng.random() ** 0.8))).isoformat()
        yield [
            str(uuid.uuid4()),
            rng.choice(raw_ids),
            source,
            rng.choice(channels),
            provider,
            f"bench-f-{i}",
            "",
            "",
            "",
            "",
            "WIN A PRIZE",
            "",
            received,
            received,
            "[]",
            "{}",
            "filtered",
            "f",
            pick(rng, REASONS)[0],
            "0.1",
            "",
            NULL,
            "f",
            "[]",
            "bench-model-1",
            received,
            NULL,
            received,
        ]


COMPLAINT_COLUMNS = (
    "id, reference, source, channel, provider, external_id, message_id, raw_event_id, customer_handle, "
    "customer_name, contact_email, contact_phone, text, attachments, customer_category, category, "
    "category_confidence, complaint_confidence, urgent, urgency_reasons, model_version, status, assigned_to_id, "
    "resolution_note, occurred_at, received_at, first_response_at, resolved_at, created_at, updated_at"
)
MESSAGE_COLUMNS = (
    "id, raw_event_id, source, channel, provider, external_id, customer_handle, customer_name, contact_email, "
    "contact_phone, text, customer_category, occurred_at, received_at, attachments, metadata, status, "
    "is_complaint, not_complaint_reason, complaint_confidence, predicted_category, category_confidence, urgent, "
    "urgency_reasons, model_version, classified_at, complaint_id, created_at"
)
EVENT_COLUMNS = "complaint_id, actor_id, action, from_status, to_status, note, data, created_at"


def copy(cursor: Any, table: str, columns: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(value.replace("\t", " ") for value in row))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT text)", buffer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--filtered", type=int, default=300_000)
    parser.add_argument("--db", default="bench_reporting")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    os.environ["DATABASE_URL"] = f"{server}/{args.db}"
    os.environ.setdefault("TIME_ZONE", "Europe/London")
    os.environ.setdefault("DEBUG", "false")  # as in production: DEBUG keeps every query in memory
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
    import psycopg2

    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{args.db}"')
    admin.close()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, cwd=ROOT)

    import django

    django.setup()
    from django.db import connection

    from warehouse.reporting.rollups import rollups_catch_up, rollups_requeue

    timings: dict[str, float] = {}
    now = datetime.now(UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw_ids = [str(uuid.uuid4()) for _ in range(1000)]
        copy(
            cursor.cursor,
            "ingestion_rawevent",
            "id, source, provider, lake_key, sha256, size, content_type, headers, meta, received_at, status, "
            "attempts, message_count, error",
            [
                [
                    r,
                    "web_form",
                    "web_form",
                    f"raw/bench/{r}",
                    "0" * 64,
                    "1",
                    "",
                    "{}",
                    "{}",
                    now.isoformat(),
                    "processed",
                    "1",
                    "1",
                    "",
                ]
                for r in raw_ids
            ],
        )
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'warehouse_complaint' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'warehouse_complaint'::regclass)"
        )
        secondary = cursor.fetchall()
        for name, _ in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        complaints: list[list[str]] = []
        messages: list[list[str]] = []
        events: list[list[str]] = []
        for complaint, message, event in complaint_rows(args.rows, args.seed, now, raw_ids):
            complaints.append(complaint)
            if message:
                messages.append(message)
            if event:
                events.append(event)
            if len(complaints) == 50_000:
                copy(cursor.cursor, "warehouse_complaint", COMPLAINT_COLUMNS, complaints)
                copy(cursor.cursor, "ingestion_message", MESSAGE_COLUMNS, messages)
                copy(cursor.cursor, "warehouse_complaintevent", EVENT_COLUMNS, events)
                complaints, messages, events = [], [], []
        copy(cursor.cursor, "warehouse_complaint", COMPLAINT_COLUMNS, complaints)
        copy(cursor.cursor, "ingestion_message", MESSAGE_COLUMNS, messages)
        copy(cursor.cursor, "warehouse_complaintevent", EVENT_COLUMNS, events)
        batch: list[list[str]] = []
        for row in filtered_rows(args.filtered, args.seed, now, raw_ids):
            batch.append(row)
            if len(batch) == 50_000:
                copy(cursor.cursor, "ingestion_message", MESSAGE_COLUMNS, batch)
                batch = []
        copy(cursor.cursor, "ingestion_message", MESSAGE_COLUMNS, batch)
        timings["copy_seconds"] = time.perf_counter() - started
        index_started = time.perf_counter()
        for _, definition in secondary:
            cursor.execute(definition)
        timings["index_seconds"] = time.perf_counter() - index_started
    connection.connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rebuild_started = time.perf_counter()
    rollups_requeue()
    results = rollups_catch_up()
    timings["rollup_rebuild_seconds"] = time.perf_counter() - rebuild_started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM warehouse_complaint")
        total = cursor.fetchone()[0]
    summary = {
        "database": args.db,
        "complaints": total,
        "filtered_messages": args.filtered,
        "rollup_days": sum(r.days for r in results),
        "rollup_rows": sum(r.rows for r in results),
        **{k: round(v, 1) for k, v in timings.items()},
    }
    # The benchmark quotes these in docs/benchmarks.md.
    out = ROOT / "var" / f"{args.db}-seed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
