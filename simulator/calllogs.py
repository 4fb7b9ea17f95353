"""Call-centre log files in the canonical format (JSON Lines or CSV), as a call-centre export drops them.

A file holds a batch of calls; now and then a row is broken (the batch must reject it alone,
with its line number) or a call appears twice (it must be stored once).
"""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simulator.deliveries import Expected
from simulator.texts import TextGenerator, lexicon

INBOX_PREFIX = "inbox/call_center"
QUEUES = ("Complaints", "Billing", "Deliveries", "Tech Support", "General")
AGENTS = ("j.ahmed", "s.murphy", "k.osei", "l.nowak", "p.evans", "r.singh")


@dataclass(frozen=True)
class CallLogFile:
    name: str
    data: bytes
    expected: tuple[Expected, ...]
    bad_rows: tuple[int, ...]  # 1-based line where each broken row starts (the header is line 1 in CSV)
    duplicate_rows: int


def _call(gen: TextGenerator, rng: random.Random, at: datetime) -> tuple[dict[str, object], Expected]:
    utterance = gen.utterance("call")
    call_id = str(uuid.uuid4())
    row: dict[str, object] = {
        "call_id": call_id,
        "timestamp": at.isoformat(timespec="seconds"),
        "call_duration": rng.randrange(45, 1500),
        "transcript": list(utterance.turns),
        "caller": lexicon.uk_mobile(rng),
        "agent": rng.choice(AGENTS),
        "queue": rng.choice(QUEUES),
    }
    return row, Expected("call_center", "call", (call_id,), utterance)


def _bad_row(rng: random.Random, at: datetime) -> dict[str, object]:
    broken = rng.choice(("no_id", "bad_time", "bad_duration", "no_transcript"))
    row: dict[str, object] = {
        "call_id": str(uuid.uuid4()),
        "timestamp": at.isoformat(timespec="seconds"),
        "call_duration": 120,
        "transcript": [{"speaker": "customer", "text": "hello?"}],
    }
    if broken == "no_id":
        row.pop("call_id")
    elif broken == "bad_time":
        row["timestamp"] = "the 32nd of Smarch"
    elif broken == "bad_duration":
        row["call_duration"] = "about ten minutes"
    else:
        row.pop("transcript")
    return row


def build(
    gen: TextGenerator,
    rng: random.Random,
    *,
    calls: int,
    fmt: str = "jsonl",
    bad_share: float = 0.02,
    duplicate_share: float = 0.02,
    now: datetime | None = None,
) -> CallLogFile:
    """`calls` good calls over the last hour, plus a few broken rows and repeated calls."""
    now = now or datetime.now(UTC)
    rows: list[tuple[dict[str, object], bool]] = []  # (row, is it a broken one)
    expected: list[Expected] = []
    duplicates = 0
    for i in range(calls):
        at = now - timedelta(seconds=3600 * (calls - i) / max(calls, 1))
        row, exp = _call(gen, rng, at)
        rows.append((row, False))
        expected.append(exp)
        if rng.random() < bad_share:
            rows.append((_bad_row(rng, at), True))
        if rng.random() < duplicate_share:
            rows.append((dict(row), False))
            duplicates += 1
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name = f"calls-{stamp}-{uuid.uuid4().hex[:8]}.{fmt}"
    bad: list[int] = []
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False) + "\n" for r, _ in rows]
        bad = [n for n, (_, broken) in enumerate(rows, start=1) if broken]
        data = "".join(lines).encode()
    elif fmt == "csv":
        out = io.StringIO()
        fields = ["call_id", "timestamp", "call_duration", "transcript", "caller", "agent", "queue"]
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for r, broken in rows:
            if broken:
                # A row's line is where it starts: transcripts span several lines inside quotes.
                bad.append(out.getvalue().count("\n") + 1)
            flat = dict(r)
            turns = flat.get("transcript")
            if isinstance(turns, list):
                # CSV carries the turns as speaker-labelled lines of text.
                flat["transcript"] = "\n".join(f"{t['speaker']}: {t['text']}" for t in turns)
            writer.writerow(flat)
        data = out.getvalue().encode()
    else:
        raise ValueError(f"unknown call-log format {fmt!r}")
    return CallLogFile(name=name, data=data, expected=tuple(expected), bad_rows=tuple(bad), duplicate_rows=duplicates)


def drop_in_inbox(log: CallLogFile) -> str:
    """Write the file into the lake's inbox, where the hourly job picks it up. Returns its key."""
    from lake import get_lake

    key = f"{INBOX_PREFIX}/{log.name}"
    get_lake().write(key, log.data, content_type="application/x-ndjson" if log.name.endswith(".jsonl") else "text/csv")
    return key
