"""Plain-text tables for what was sent and what became of it."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.traffic import TrafficResult
from simulator.verify import Verification, percentile

SENT_COLUMNS = ("sent", "valid", "duplicate", "malformed", "forged", "accepted", "rejected", "failed", "attempts")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def sent_table(result: TrafficResult) -> str:
    by = result.by_provider()
    rows = [[provider, *(counts.get(c, 0) for c in SENT_COLUMNS)] for provider, counts in sorted(by.items())]
    totals = ["total", *(sum(by[p].get(c, 0) for p in by) for c in SENT_COLUMNS)]
    out = table(("provider", *SENT_COLUMNS), [*rows, totals])
    odd = {p: c["unexpected_answer"] for p, c in by.items() if c.get("unexpected_answer")}
    notes = []
    if odd:
        notes.append(f"bad deliveries answered other than 400/403: {odd}")
    for drop in result.calls:
        notes.append(
            f"call-log file {drop.key}: {len(drop.log.expected)} calls, "
            f"{drop.log.duplicate_rows} repeated, bad rows at lines {list(drop.log.bad_rows) or 'none'}"
        )
    if result.skipped:
        notes.append(f"switched off (no secret configured): {', '.join(result.skipped)}")
    return "\n".join([out, *notes])


def outcome_table(result: TrafficResult, v: Verification, *, quarantined: int | None = None) -> str:
    by = result.by_provider()
    sent = sum(c["sent"] for c in by.values())
    rejected = sum(c.get("rejected", 0) for c in by.values()) + sum(len(d.log.bad_rows) for d in result.calls)
    rows: list[list[object]] = [
        ["sent (deliveries and call rows)", sent],
        ["accepted messages", v.accepted],
        ["rejected (4xx or bad rows)", rejected],
        [
            "duplicates absorbed",
            f"{v.duplicates_absorbed} of {v.duplicates_sent + sum(d.log.duplicate_rows for d in result.calls)}",
        ],
        ["stored (complaint or tagged)", f"{v.stored}  ({v.complaints} complaints, {v.filtered} filtered)"],
        ["stored twice", v.stored_twice],
        ["lost", v.lost],
    ]
    if quarantined is not None:
        answered_400 = sum(c.get("http_400", 0) for c in by.values())
        rows.insert(3, ["malformed: answered 400 / kept in quarantine", f"{answered_400} / {quarantined}"])
    if v.forms_unverifiable:
        rows.append(["form posts without a readable reference", v.forms_unverifiable])
    text = table(("", "count"), rows)
    if v.lost_examples:
        text += "\nlost, for example: " + ", ".join(v.lost_examples)
    return text


def latency_line(values: list[float]) -> str:
    if not values:
        return "no stored messages with a verdict time"
    return (
        f"p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms, "
        f"p99 {percentile(values, 99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms over {len(values)} messages"
    )
