"""After a run: is every accepted message stored exactly once, and where did the rejected ones go?

Reads ingestion's ledger (Message rows, UNIQUE per source and key) and the warehouse. A message
is *stored* when it was classified and routed: a complaint in the warehouse, or a non-complaint
kept, tagged, in ingestion. Accepted but not stored after the wait is *lost*.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

from simulator.traffic import TrafficResult


@dataclass
class Verification:
    accepted: int = 0
    stored: int = 0
    complaints: int = 0
    filtered: int = 0
    pending: int = 0  # a Message row exists but is not routed yet
    lost: int = 0  # no Message row at all (or still pending when the wait ran out)
    stored_twice: int = 0  # more than one row for one message: must never happen
    duplicates_sent: int = 0
    duplicates_absorbed: int = 0
    forms_unverifiable: int = 0
    lost_examples: list[str] = field(default_factory=list)
    by_source: Counter[str] = field(default_factory=Counter)
    # e2e: seconds from the client's send to the classifier's verdict, per stored message
    latencies: list[float] = field(default_factory=list)
    complaint_latencies: list[float] = field(default_factory=list)


def _lookup(result: TrafficResult) -> tuple[list, dict]:  # type: ignore[type-arg]
    from ingestion.models import Message

    items = result.accepted_expectations()
    rows: dict[tuple[str, str], list[dict]] = {}  # type: ignore[type-arg]
    by_source: dict[str, set[str]] = {}
    for exp, keys, _ in items:
        by_source.setdefault(exp.source, set()).update(keys)
    fields = ("source", "external_id", "status", "complaint_id", "classified_at", "metadata")
    for source, source_keys in by_source.items():
        key_list = sorted(source_keys)
        for i in range(0, len(key_list), 1000):
            chunk = key_list[i : i + 1000]
            if source == "web_form":
                found = Message.objects.filter(source=source, metadata__reference__in=chunk).values(*fields)
                for row in found:
                    rows.setdefault((source, str(row["metadata"].get("reference", ""))), []).append(row)
            else:
                for row in Message.objects.filter(source=source, external_id__in=chunk).values(*fields):
                    rows.setdefault((source, row["external_id"]), []).append(row)
    return items, rows


def verify(result: TrafficResult) -> Verification:
    from warehouse.models import Complaint

    items, rows = _lookup(result)
    v = Verification(accepted=len(items), forms_unverifiable=result.forms_without_reference())
    complaint_sent: dict[object, float] = {}
    for exp, keys, sent_at in items:
        found = [r for k in keys for r in rows.get((exp.source, k), [])]
        if len(found) > 1:
            v.stored_twice += 1
        if not found:
            v.lost += 1
            if len(v.lost_examples) < 10:
                v.lost_examples.append(f"{exp.source}:{keys[0] if keys else '?'}")
            continue
        row = found[0]
        if row["status"] == "new":
            v.pending += 1
            continue
        v.stored += 1
        v.by_source[exp.source] += 1
        if row["status"] == "complaint":
            v.complaints += 1
            # Call-log rows have no send time of their own (the file's drop is the run's start).
            complaint_sent[row["complaint_id"]] = sent_at if exp.source != "call_center" else float("nan")
        else:
            v.filtered += 1
        if row["classified_at"] is not None and exp.source != "call_center":
            v.latencies.append(row["classified_at"].timestamp() - sent_at)
    # A complaint counted as stored must really be in the warehouse; its row's creation time is
    # the end of the webhook -> warehouse path.
    created: dict[object, float] = {}
    ids = [i for i in complaint_sent if i]
    for i in range(0, len(ids), 1000):
        for cid, at in Complaint.objects.filter(id__in=ids[i : i + 1000]).values_list("id", "created_at"):
            created[cid] = at.timestamp()
    missing = len(complaint_sent) - len(created)
    v.lost += missing
    v.stored -= missing
    v.complaint_latencies = [
        created[cid] - sent for cid, sent in complaint_sent.items() if cid in created and not math.isnan(sent)
    ]
    dups = result.duplicates_accepted()
    v.duplicates_sent = sum(1 for r in result.records if r.delivery.kind == "duplicate")
    stored_keys = {(e.source, k) for e, keys, _ in items for k in keys if len(rows.get((e.source, k), [])) == 1}
    v.duplicates_absorbed = sum(
        1 for r in dups if all(any((e.source, k) in stored_keys for k in e.keys) for e in r.delivery.expected)
    ) + sum(drop.log.duplicate_rows for drop in result.calls)
    return v


def wait_until_settled(result: TrafficResult, *, timeout: float, interval: float = 2.0) -> Verification:
    """Re-check until nothing is pending or missing, or the time is up (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        v = verify(result)
        if (v.pending == 0 and v.lost == 0) or time.monotonic() >= deadline:
            v.lost += v.pending  # still not routed when the wait ran out: not stored, so lost
            return v
        time.sleep(interval)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
