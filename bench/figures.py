"""What `make bench` reads from the benchmark scripts: the headline figures, from what a script
printed or, for a step not run this time, from its section of docs/benchmarks.md."""

from __future__ import annotations

import json
import re
from typing import Any


# --- reading what the scripts print -------------------------------------------------------------
def json_documents(text: str) -> list[Any]:
    """Every top-level JSON object printed on its own lines, in order."""
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    for match in re.finditer(r"(?m)^\{", text):
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        docs.append(obj)
    return docs


def last_json_with(text: str, key: str) -> dict[str, Any]:
    for doc in reversed(json_documents(text)):
        if isinstance(doc, dict) and key in doc:
            return doc
    return {}


def _num(pattern: str, text: str) -> float | None:
    found = re.findall(pattern, text)
    return float(found[-1].replace(",", "")) if found else None


def parse_webhook(out: str) -> dict[str, Any]:
    return {
        "ratio": _num(r"Webhook throughput is \*\*(\d+)%\*\*", out),
        "p99_ms": _num(r"\*\*p99 ([\d.,]+) ms\*\*", out),
    }


def parse_e2e(out: str) -> dict[str, Any]:
    doc = last_json_with(out, "warehouse")
    if not doc:
        return {}
    return {
        "p50_ms": doc["warehouse"]["p50_ms"],
        "p95_ms": doc["warehouse"]["p95_ms"],
        "p99_ms": doc["warehouse"]["p99_ms"],
        "rate": doc["rate"],
        "achieved": doc["achieved_messages_per_s"],
        "rss": doc["rss_mb"],
        "lost": doc["durability"]["lost"],
    }


def parse_calllog(out: str) -> dict[str, Any]:
    doc = last_json_with(out, "job")
    if not doc:
        return {}
    return {
        "ratio": doc.get("job_vs_nlp_pipe") or doc.get("job_vs_classify_texts"),
        "ratio_vs_classify_texts": doc.get("job_vs_classify_texts"),
        "ratio_cpu": doc.get("job_cpu_vs_nlp_pipe"),
        "calls_per_s": doc["job"].get("calls_per_s"),
        "rss_mb": doc["job"].get("peak_rss_mb"),
        "raw": doc,
    }


def parse_classifier(out: str) -> dict[str, Any]:
    doc = last_json_with(out, "words_per_second")
    return {"words_per_s": doc.get("words_per_second"), "rss_mb": doc.get("rss_with_model_mb"), "raw": doc}


def parse_queue(out: str) -> dict[str, Any]:
    # "Worst p95: 120.0 ms" or "Worst p95 of the page and the API list: 445.1 ms wall, 56.3 ms CPU"
    return {
        "worst_p95_ms": _num(r"Worst p95[^:\n]*: ([\d.,]+) ms", out),
        "worst_p95_cpu_ms": _num(r"Worst p95[^:\n]*: [\d.,]+ ms wall, ([\d.,]+) ms CPU", out),
    }


def parse_reporting(out: str) -> dict[str, Any]:
    medians = [float(m) for m in re.findall(r"(?m)\s([\d.]+) ms \(max [\d.]+\)\s*$", out)]
    worst = [float(m) for m in re.findall(r"(?m)\(max ([\d.]+)\)\s*$", out)]
    return {"worst_median_ms": max(medians) if medians else None, "worst_max_ms": max(worst) if worst else None}


# --- figures already in the document (a section its owner wrote, a step not run this time) ---------
SECTION_MARKERS = {
    "webhook": ("<!-- webhook-bench:start -->", "<!-- webhook-bench:end -->"),
    "e2e": ("<!-- e2e-bench:start -->", "<!-- e2e-bench:end -->"),
    "calllog": ("<!-- calllogs:begin -->", "<!-- calllogs:end -->"),
    "classifier": ("<!-- classifier:begin -->", "<!-- classifier:end -->"),
    "queue": ("<!-- agents-queue:begin -->", "<!-- agents-queue:end -->"),
    "reporting": ("<!-- reporting:begin -->", "<!-- reporting:end -->"),
}


def section_text(text: str, name: str) -> str:
    start, end = SECTION_MARKERS.get(name, ("", ""))
    if start and start in text and end in text:
        return text[text.index(start) : text.index(end)]
    return ""


def figures_from_docs(name: str, text: str) -> dict[str, Any]:
    sec = section_text(text, name)
    if not sec:
        return {}
    if name == "webhook":
        return parse_webhook(sec)
    if name == "queue":
        return parse_queue(sec)
    if name == "calllog":
        ratio = _num(r"\*\*job / raw `nlp.pipe`\*\*[^|]*\| \*\*([\d.]+)\*\*", sec)
        return {
            "ratio": ratio,
            "ratio_cpu": _num(r"\*\*job / raw `nlp.pipe`\*\*[^|]*\| \*\*[\d.]+\*\* \| \*\*([\d.]+)\*\*", sec),
            "rss_mb": _num(r"worker peak RSS[^|]*\| \*\*([\d.]+) MB\*\*", sec),
        }
    if name == "classifier":
        return {
            "words_per_s": _num(r"words per second, one core[^|]*\| ([\d,]+) \|", sec),
            "rss_mb": _num(r"RSS with the model loaded[^|]*\| ([\d.]+) MB", sec),
        }
    if name == "reporting":
        rows = re.findall(r"(?m)^\|[^|]+\|[^|]+\|[^|]*\| ([\d.]+) \| ([\d.]+) \|$", sec)
        return {
            "worst_median_ms": max((float(m) for m, _ in rows), default=None),
            "worst_max_ms": max((float(w) for _, w in rows), default=None),
        }
    if name == "e2e":
        row = re.search(r"warehouse row \(complaints\)\*\* \| ([\d,.]+) \| \*\*([\d,.]+)\*\* \| ([\d,.]+)", sec)
        mem = re.search(
            r"web (\d+) MB per gunicorn process, (\d+) MB for the whole web tree; worker (\d+) MB per "
            r"Celery process[^,]*, (\d+) MB",
            sec,
        )
        out: dict[str, Any] = {}
        if row:
            out.update(
                zip(("p50_ms", "p95_ms", "p99_ms"), (float(v.replace(",", "")) for v in row.groups()), strict=True)
            )
        if mem:
            keys = ("web_process_max", "web_total_max", "worker_process_max", "worker_total_max")
            out["rss"] = dict(zip(keys, (float(v) for v in mem.groups()), strict=True))
        return out
    return {}


def _pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0%}" if value <= 5 else f"{value:.0f}%"
