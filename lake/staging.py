"""Staged lake writes: the objects of a group made durable together (the accept path's group).

A request's own thread stages its bytes: written into an unnamed file (O_TMPFILE) in the key's
folder, neither named nor synced yet. One thread then commits the whole group: it fsyncs each
file, gives each its name with linkat (write-once: it fails on an existing key) and fsyncs each
folder once. Same guarantees as `Lake.write` (file synced before it is named, the name synced
before anyone is told "saved"), but for a group of N objects the blocking waits are done by one
thread instead of N, and the file system commits its journal about twice per group instead of
2N times (ext4's first fsync carries every file already written). Measured in docs/benchmarks.md.

Only the file lake with fsync on stages for real. Elsewhere (S3, fsync off, a file system
without O_TMPFILE) `stage` writes the object at once and there is nothing left to commit.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lake.storage import LakeError, LakeKeyExists, LakeObject, LakeUnavailable


@dataclass
class StagedObject:
    """An object whose bytes are written; with `fd` set, still unnamed and not yet durable."""

    obj: LakeObject
    fd: int | None = None
    path: Path | None = field(default=None, repr=False)

    @property
    def pending(self) -> bool:
        return self.fd is not None

    def discard(self) -> None:
        """Drop an object that will not be committed: the unnamed file vanishes with its fd."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def open_unnamed(folder: Path) -> int | None:
    """An O_TMPFILE in `folder` (created when missing); None where the file system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        try:
            return os.open(folder, flag | os.O_WRONLY, 0o640)
        except FileNotFoundError:
            # A new hour's folder: created once, by whichever request gets there first.
            folder.mkdir(parents=True, exist_ok=True)
            return os.open(folder, flag | os.O_WRONLY, 0o640)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def commit_staged(staged: Sequence[StagedObject]) -> list[LakeError | None]:
    """Make every pending object durable under its key; one outcome per object, in order.

    A failure is that object's alone (its caller answers 503, or learns its key exists); the
    others are committed. Every unnamed file is closed on return, committed or not.
    """
    outcomes: list[LakeError | None] = [None] * len(staged)
    pending = [(n, item) for n, item in enumerate(staged) if item.fd is not None and item.path is not None]
    try:
        for n, item in pending:
            try:
                os.fsync(item.fd)  # type: ignore[arg-type]  # pending: fd is set
            except OSError as exc:
                outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
        folders: dict[Path, list[tuple[int, StagedObject]]] = {}
        for n, item in pending:
            if outcomes[n] is None:
                folders.setdefault(item.path.parent, []).append((n, item))  # type: ignore[union-attr]
        for folder, items in folders.items():
            _name_and_sync(folder, items, outcomes)
    finally:
        for _, item in pending:
            item.discard()
    return outcomes


def _name_and_sync(folder: Path, items: list[tuple[int, StagedObject]], outcomes: list[LakeError | None]) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        for n, item in items:
            outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
        return
    try:
        named = []
        for n, item in items:
            try:
                # With a dst_dir_fd, os.link is linkat(AT_SYMLINK_FOLLOW): the /proc link names the
                # open file itself. It fails if the key exists: write-once without a race.
                os.link(f"/proc/self/fd/{item.fd}", item.path.name, dst_dir_fd=dir_fd)  # type: ignore[union-attr]
            except FileExistsError:
                outcomes[n] = LakeKeyExists(item.obj.key)
            except OSError as exc:
                outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
            else:
                named.append((n, item))
        try:
            os.fsync(dir_fd)  # the new names are durable too
        except OSError as exc:
            # Named but maybe not durable: the caller answers 503 and the provider retries; a
            # copy that did survive has no ledger row and is found by replay_lake, absorbed by
            # the UNIQUE (source, external_id) if the retry came through.
            for n, item in named:
                outcomes[n] = LakeUnavailable(f"lake folder sync failed for {item.obj.key}: {exc}")
    finally:
        os.close(dir_fd)
