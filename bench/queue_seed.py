#!/usr/bin/env python
"""Seed a PostgreSQL database with N complaints (default 1,000,000) for the queue benchmark.

Fast by construction: rows are generated in Python and streamed with COPY in chunks; the
agents' queue indexes (warehouse migration 0002_agents_queue_indexes) are dropped before the
load and built once after it, then VACUUM ANALYZE leaves the visibility map and statistics as a
long-running database would have them.

The shape is a busy service's: two years of complaints, most of them closed, an open backlog of
about 15% (150,000 at 1M: far more than a healthy queue, to make the queue indexes earn their
keep), 3% urgent, four sources, ten channels, a skewed category mix, fifty agents.

Usage:
    .venv/bin/python bench/queue_seed.py [--rows 1000000] [--db bench_queue] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seed_mix import CATEGORIES, SOURCES  # noqa: E402  (bench/ is the script's folder)

OPENERS = ["Hi,", "Hello,", "Seriously?", "Not happy.", "Third time writing.", "Please help:", "Unacceptable.", ""]
BODIES = {
    "billing": [
        "I was charged twice for invoice {n}",
        "my direct debit of £{m} was taken two times",
        "the bill for account {n} is far higher than my usage",
        "you charged me after I cancelled",
    ],
    "service_outage": [
        "the internet has been down since {d}",
        "the app crashes every time I open it",
        "no signal at home for {k} days",
        "the website shows an error when I pay",
    ],
    "delivery": [
        "parcel {n} was marked delivered but never arrived",
        "my order {n} is {k} days late",
        "the courier left my package in the rain",
        "I received the wrong item for order {n}",
    ],
    "product_quality": [
        "the kettle I bought broke after {k} days",
        "the screen of the phone cracked by itself",
        "the jacket fell apart in the first wash",
    ],
    "customer_service": [
        "I waited {k} minutes on hold and got cut off",
        "your agent was rude to me",
        "nobody called me back as promised",
    ],
    "account_access": [
        "I am locked out of my account",
        "the password reset code never arrives",
        "my login stopped working after the update",
    ],
    "fraud_security": [
        "there are transactions I do not recognise",
        "someone hacked my account and changed the e-mail",
        "I got a scam text pretending to be you",
    ],
    "pricing_refunds": [
        "I was promised a refund of £{m} weeks ago",
        "the price went up without notice",
        "my voucher was not applied",
    ],
    "other": ["the shop on {d} street was closed during opening hours", "your letter had someone else's name"],
}
CLOSERS = [
    "Please sort this out.",
    "I want my money back.",
    "Call me on {p}.",
    "Very disappointed.",
    "I will go to the ombudsman.",
    "Thanks in advance.",
    "",
]
STREETS = ["High", "Station", "Church", "Victoria", "Mill", "Park", "Queen", "King"]


def pick(rng: random.Random, weighted: list[tuple[object, int]]) -> object:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def text_for(rng: random.Random, category: str) -> str:
    body = rng.choice(BODIES[category]).format(
        n=rng.randint(100000, 999999),
        m=rng.randint(5, 400),
        k=rng.randint(2, 40),
        d=rng.choice(STREETS),
    )
    closer = rng.choice(CLOSERS).format(p=f"07700 9{rng.randint(10000, 99999)}")
    return " ".join(p for p in (rng.choice(OPENERS), body[0].upper() + body[1:] + ".", closer) if p)


def rows(count: int, agent_ids: list[int], seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    span = timedelta(days=730).total_seconds()
    for i in range(count):
        source, provider, channels, _ = pick(rng, [(s, s[3]) for s in SOURCES])  # type: ignore[misc]
        channel = rng.choice(channels)
        category = str(pick(rng, CATEGORIES))
        roll = rng.random()
        status = (
            "pending" if roll < 0.10 else "in_progress" if roll < 0.15 else "dismissed" if roll < 0.20 else "resolved"
        )
        if status in ("pending", "in_progress"):
            # The backlog skews recent, with a long tail of stragglers.
            age = rng.expovariate(1 / (10 * 86400)) if rng.random() < 0.9 else rng.random() * span
        else:
            age = rng.random() * span
        received = now - timedelta(seconds=min(age, span))
        occurred = received - timedelta(seconds=rng.randint(0, 600))
        assigned = NULL
        if status != "pending" or rng.random() < 0.3:
            assigned = str(rng.choice(agent_ids))
        first_response = resolved = NULL
        if status in ("in_progress", "resolved", "dismissed"):
            first_response = (received + timedelta(minutes=rng.randint(1, 600))).isoformat()
        if status == "resolved":
            resolved = (received + timedelta(hours=rng.randint(1, 200))).isoformat()
        urgent = rng.random() < 0.03
        yield [
            str(uuid.uuid4()),
            f"CMP-{received:%Y%m%d}-{i:05X}"[:32] if i < 0xFFFFF else f"CMP-{received:%Y%m%d}-{i:06X}",
            source,
            channel,
            provider,
            f"bench-{i}",
            str(uuid.uuid4()),
            f"@user{rng.randint(1, 300000)}" if source == "social" else f"+4477009{rng.randint(10000, 99999)}",
            "",
            "",
            "",
            text_for(rng, category),
            "[]",
            category if rng.random() > 0.15 else "",
            category,
            f"{rng.uniform(0.35, 0.99):.3f}",
            f"{rng.uniform(0.5, 0.99):.3f}",
            "t" if urgent else "f",
            json.dumps(["legal threat"] if urgent else []),
            "bench-model-1",
            status,
            assigned,
            "Done." if status == "resolved" else "",
            occurred.isoformat(),
            received.isoformat(),
            first_response,
            resolved,
            received.isoformat(),
            received.isoformat(),
        ]


NULL = r"\N"
COLUMNS = (
    "id, reference, source, channel, provider, external_id, message_id, customer_handle, customer_name, "
    "contact_email, contact_phone, text, attachments, customer_category, category, category_confidence, "
    "complaint_confidence, urgent, urgency_reasons, model_version, status, assigned_to_id, resolution_note, "
    "occurred_at, received_at, first_response_at, resolved_at, created_at, updated_at"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=os.environ.get("BENCH_QUEUE_DB", "bench_queue"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    host = os.environ.get("BENCH_PG", "postgres@127.0.0.1:5432")
    os.environ["DATABASE_URL"] = f"postgres://{host}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
    os.environ.setdefault("SECRET_KEY", "bench")
    import psycopg2

    admin = psycopg2.connect(f"postgres://{host}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        cursor.execute(f'CREATE DATABASE "{args.db}"')
    admin.close()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    agents = Group.objects.get(name="agents")
    agent_ids = []
    for n in range(50):
        user = User.objects.create_user(f"agent{n:02d}", password="bench", is_staff=True)
        user.groups.add(agents)
        agent_ids.append(user.pk)
    supervisor = User.objects.create_user("supervisor", password="bench", is_staff=True)
    supervisor.groups.add(Group.objects.get(name="supervisors"))

    indexes = importlib.import_module("warehouse.migrations.0002_agents_queue_indexes")
    with connection.cursor() as cursor:
        for name, *_ in indexes.BTREE:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute(f"DROP INDEX IF EXISTS {indexes.SEARCH[0]}")

    raw = connection.connection
    chunk = 50_000
    generated = rows(args.rows, agent_ids, args.seed)
    loaded = 0
    while loaded < args.rows:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for _ in range(min(chunk, args.rows - loaded)):
            writer.writerow(next(generated))
        buffer.seek(0)
        with raw.cursor() as cursor:
            cursor.copy_expert(f"COPY warehouse_complaint ({COLUMNS}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        raw.commit()
        loaded += min(chunk, args.rows - loaded)
        print(f"\r{loaded:,} rows", end="", flush=True)
    print(f"\nloaded in {time.monotonic() - started:.0f}s; building the queue indexes")

    class Editor:  # the migration's create() needs only .connection and .execute()
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
    indexes.create(None, Editor())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE warehouse_complaint")
        cursor.execute("SELECT status, count(*) FROM warehouse_complaint GROUP BY status ORDER BY status")
        counts = cursor.fetchall()
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('warehouse_complaint'))")
        size = cursor.fetchone()[0]
    print(f"done in {time.monotonic() - started:.0f}s: {dict(counts)}; table with indexes {size}")


if __name__ == "__main__":
    main()
