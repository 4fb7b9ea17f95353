"""Labelled data: the corpus, other people's CSV/JSONL files, agents' corrections; the fixed split.

A row is a text with a label. For the complaint task the labels are `complaint` and `not_complaint`
(with a reason for non-complaints); for the category task a taxonomy slug. The corpus files carry
both (`text,label,reason,category,style`), so one row serves both tasks.

The split is fixed and needs no stored list: rows are grouped by stratum (the category for a
complaint, the reason otherwise), ordered inside each stratum by a stable hash of the normalised
text, and dealt out 8:1:1 to train, dev and test. The same data always gives the same split, every
split has each stratum in proportion, and a text and its duplicates always land together.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"

COMPLAINT = "complaint"
NOT_COMPLAINT = "not_complaint"
TASKS = ("complaint", "category")
SPLITS = ("train", "dev", "test")
# Labels other people's files use for a binary complaint set.
_BINARY_ALIASES = {
    "1": COMPLAINT,
    "true": COMPLAINT,
    "yes": COMPLAINT,
    "complaint": COMPLAINT,
    "0": NOT_COMPLAINT,
    "false": NOT_COMPLAINT,
    "no": NOT_COMPLAINT,
    "not_complaint": NOT_COMPLAINT,
    "not complaint": NOT_COMPLAINT,
    "non_complaint": NOT_COMPLAINT,
    "noncomplaint": NOT_COMPLAINT,
}


class DataError(ValueError):
    """A labelled file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str  # complaint | not_complaint, or (other people's files, category task) any class name
    reason: str = ""
    category: str = ""
    style: str = ""
    origin: str = "corpus"  # corpus | file | feedback


@dataclass(frozen=True)
class TaskExample:
    text: str
    label: str
    reason: str = ""  # kept for the complaint task: the model also learns why a text is not one
    origin: str = "corpus"


def read_labelled_file(path: Path | str) -> list[LabelledText]:
    """Read a CSV (header with at least `text,label`) or JSONL file ({"text": ..., "label": ...} a line)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    raw = path.read_bytes().decode("utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(raw, path)
    return _read_csv(raw, path)


def _read_csv(raw: str, path: Path) -> list[LabelledText]:
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"text", "label"} <= fields:
        raise DataError(f"{path}: the header must name the columns text and label (found {sorted(fields)})")
    rows = []
    for record in reader:
        clean = {(k or "").strip().lower(): (v or "") for k, v in record.items() if k is not None}
        rows.append(_row(clean, path, reader.line_num))
    return [r for r in rows if r is not None]


def _read_jsonl(raw: str, path: Path) -> list[LabelledText]:
    rows = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(f"{path}:{number}: each line must be a JSON object")
        row = _row({str(k).lower(): "" if v is None else str(v) for k, v in record.items()}, path, number)
        if row is not None:
            rows.append(row)
    return rows


def _row(record: dict[str, str], path: Path, line: int) -> LabelledText | None:
    text = record.get("text", "").strip()
    label = record.get("label", "").strip()
    if not text and not label:
        return None  # a blank line
    if not text or not label:
        raise DataError(f"{path}:{line}: a row needs both text and label")
    return LabelledText(
        text=text,
        label=label,
        reason=record.get("reason", "").strip(),
        category=record.get("category", "").strip(),
        style=record.get("style", "").strip(),
        origin="corpus" if path.parent == CORPUS_DIR else "file",
    )


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.csv"))


def corpus_rows(directory: Path = CORPUS_DIR) -> list[LabelledText]:
    """Every row of the project's corpus (all CSV files in classification/data/corpus/)."""
    files = corpus_files(directory)
    if not files:
        raise DataError(f"no corpus CSV files in {directory}")
    rows: list[LabelledText] = []
    for path in files:
        rows.extend(read_labelled_file(path))
    return rows


def text_key(text: str) -> str:
    """What makes two texts "the same" for de-duplication and the split: case and spacing ignored."""
    return " ".join(text.lower().split())


def stable_hash(text: str) -> str:
    return hashlib.sha256(text_key(text).encode("utf-8")).hexdigest()


def deduplicate(rows: Iterable[LabelledText]) -> list[LabelledText]:
    """One row per text; a later row (e.g. an agent's correction) replaces an earlier one."""
    by_key: dict[str, LabelledText] = {}
    for row in rows:
        key = text_key(row.text)
        by_key.pop(key, None)  # re-insert so that order follows the latest occurrence
        by_key[key] = row
    return list(by_key.values())


def stratum(row: LabelledText) -> str:
    if row.label == COMPLAINT:
        return f"{COMPLAINT}:{row.category}"
    return f"{row.label}:{row.reason}"


def split_rows(rows: Sequence[LabelledText], *, key: str = "stratum") -> dict[str, list[LabelledText]]:
    """The fixed train/dev/test split (8:1:1 inside every stratum; see the module docstring).

    `key="label"` stratifies by label only, for files that carry nothing else.
    """
    groups: dict[str, list[tuple[str, LabelledText]]] = defaultdict(list)
    for row in deduplicate(rows):
        group = stratum(row) if key == "stratum" else row.label
        groups[group].append((stable_hash(row.text), row))
    out: dict[str, list[LabelledText]] = {name: [] for name in SPLITS}
    for group in sorted(groups):
        ordered = [row for _, row in sorted(groups[group], key=lambda pair: pair[0])]
        for position, row in enumerate(ordered):
            slot = position % 10
            out["dev" if slot == 8 else "test" if slot == 9 else "train"].append(row)
    return out


def normalise_binary_label(label: str) -> str:
    return _BINARY_ALIASES.get(label.strip().lower(), label.strip())


def task_examples(rows: Iterable[LabelledText], task: str) -> list[TaskExample]:
    """The (text, label) pairs one task learns from.

    complaint: every row, label complaint | not_complaint (0/1, yes/no and true/false are accepted).
    category: complaints with a category column; a file without one gives its label as the class.
    """
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    out: list[TaskExample] = []
    for row in rows:
        if task == "complaint":
            out.append(TaskExample(row.text, normalise_binary_label(row.label), row.reason, row.origin))
        elif row.category:
            if normalise_binary_label(row.label) == COMPLAINT:
                out.append(TaskExample(row.text, row.category, origin=row.origin))
        elif normalise_binary_label(row.label) not in (COMPLAINT, NOT_COMPLAINT):
            out.append(TaskExample(row.text, row.label, origin=row.origin))
    return out


def data_hash(examples: Iterable[TaskExample | LabelledText]) -> str:
    """sha256 over the sorted (text, label, reason) triples: the same data gives the same hash."""
    lines = sorted(
        json.dumps([text_key(e.text), e.label, getattr(e, "reason", ""), getattr(e, "category", "")]) for e in examples
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def with_origin(rows: Iterable[LabelledText], origin: str) -> list[LabelledText]:
    return [replace(row, origin=origin) for row in rows]
