"""Small labelled data sets for classifier tests: distinct vocabulary per class, so that a small
model learns them in seconds and its answers on them are certain."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classification.corpus import LabelledText

_BILLING = [
    "charged twice for my bill",
    "wrong amount on my invoice",
    "direct debit taken twice",
    "overcharged on my bill again",
    "billing error on my statement",
]
_DELIVERY = [
    "parcel never arrived",
    "courier lost my parcel",
    "delivery is late again",
    "order not delivered",
    "parcel marked delivered but missing",
]
_PRAISE = [
    "thank you lovely service",
    "brilliant staff thanks so much",
    "great help today thank you",
    "love the new app thanks",
    "wonderful service well done",
]
_QUESTION = [
    "what time does the shop open",
    "how do I change my address",
    "where can I find my pin",
    "which plan includes roaming",
    "when is the sale starting",
]
_TAILS = [
    "",
    " please",
    " today",
    " this week",
    " asap",
    " folks",
    " team",
    " now",
    " honestly",
    " again",
    " mate",
    " guys",
    " x",
    " ok",
    " cheers",
]


def tiny_rows(per_class: int = 15) -> list[LabelledText]:
    rows: list[LabelledText] = []
    for i in range(per_class):
        tail = _TAILS[i % len(_TAILS)] + (f" #{i}" if i >= len(_TAILS) else "")
        rows.append(LabelledText(f"{_BILLING[i % 5]}{tail} ({i})", "complaint", category="billing"))
        rows.append(LabelledText(f"{_DELIVERY[i % 5]}{tail} ({i})", "complaint", category="delivery"))
        rows.append(LabelledText(f"{_PRAISE[i % 5]}{tail} ({i})", "not_complaint", reason="praise"))
        rows.append(LabelledText(f"{_QUESTION[i % 5]}{tail} ({i})", "not_complaint", reason="question"))
    return rows


def write_csv(path: Path, rows: list[LabelledText]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "reason", "category", "style"])
        for row in rows:
            writer.writerow([row.text, row.label, row.reason, row.category, row.style])
    return path


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "tiny.csv", tiny_rows())
