"""What a run did: one FileSummary per file, totals for the command, the task and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingestion.bulk import BulkResult

COUNTS = ("calls", "new_calls", "duplicates", "updated", "complaints", "non_complaints", "without_text", "rejected")


@dataclass
class FileSummary:
    key: str
    outcome: str  # ingested | unchanged | busy | failed | quarantined | checked (dry run)
    format: str = ""
    calls: int = 0
    new_calls: int = 0
    duplicates: int = 0
    updated: int = 0
    complaints: int = 0
    non_complaints: int = 0
    without_text: int = 0
    rejected: int = 0
    rejects_key: str = ""
    error: str = ""

    def add(self, result: BulkResult) -> None:
        self.new_calls += result.created
        self.duplicates += result.duplicates
        self.updated += result.updated
        self.complaints += result.complaints
        self.non_complaints += result.filtered
        self.without_text += result.without_text

    def merge(self, other: FileSummary) -> None:
        """Add the counts of one chunk of this file (fanout.py)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class RunSummary:
    files: list[FileSummary] = field(default_factory=list)
    dry_run: bool = False

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(f.outcome == "failed" for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            **{
                f"files_{o}": self.count(o)
                for o in ("ingested", "unchanged", "busy", "failed", "quarantined", "checked")
            },
            **{name: self.total(name) for name in COUNTS},
        }
