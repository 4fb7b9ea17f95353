"""The rejects report: every row that could not be read, with its line number and the reason.

Spooled to a local file while the call-log file is read (bounded memory however many rows are
bad), then written once to the lake beside the file's raw copy: `<raw key>.rejects.jsonl`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from types import TracebackType

from ingestion.calllogs import lakeio
from ingestion.calllogs.records import RowReject
from lake import Lake, LakeKeyExists


def rejects_key(raw_key: str) -> str:
    return f"{raw_key}.rejects.jsonl"


class RejectsReport:
    def __init__(self, *, directory: str | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="calllog-rejects-", suffix=".jsonl", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(handle, "wb")
        self._digest = hashlib.sha256()
        self.count = 0
        self.size = 0
        self.first: list[dict[str, object]] = []  # a few, for the summary and the ledger

    def add(self, reject: RowReject) -> None:
        entry = reject.as_json()
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        self._file.write(line)
        self._digest.update(line)
        self.size += len(line)
        self.count += 1
        if len(self.first) < 5:
            self.first.append({k: v for k, v in entry.items() if k != "content"})

    def detach(self) -> Path:
        """Close the spool and hand it over: a chunk's rejects, for the parent to `extend` with."""
        self._file.close()
        return self.path

    def extend(self, path: Path, *, count: int, first: list[dict[str, object]]) -> None:
        """Append another report's spool (a later chunk of the same file, in line order)."""
        with open(path, "rb") as part:
            while block := part.read(lakeio.CHUNK):
                self._file.write(block)
                self._digest.update(block)
                self.size += len(block)
        self.count += count
        self.first.extend(first[: max(0, 5 - len(self.first))])

    def save(self, *, lake: Lake, raw_key: str) -> str | None:
        """Write the report to the lake (nothing when no row was rejected). Returns its key."""
        self._file.flush()
        if not self.count:
            return None
        key = rejects_key(raw_key)
        try:
            lakeio.write_file(
                lake,
                key,
                self.path,
                sha256=self._digest.hexdigest(),
                size=self.size,
                content_type="application/x-ndjson",
            )
        except LakeKeyExists:
            pass  # a resumed run: the same rows were rejected the same way the first time
        return key

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> RejectsReport:
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()
