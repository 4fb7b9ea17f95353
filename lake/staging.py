"""Staged lake writes: the objects of a group made durable together (the accept path's group).

A request's thread stages its object: the key, the bytes and their digest, nothing written yet.
One thread then commits the whole group: it writes each object into an unnamed file (O_TMPFILE)
in its key's folder, fsyncs them all with one wait (lake/fsync_batch.py), gives each its name
with linkat (write-once: it fails on an existing key) and fsyncs the folders, again with one
wait (a group spans one folder, two at the turn of an hour or across sources). Same
guarantees as `Lake.write` (file synced before it is named, the name synced before anyone is
told "saved").

Why one thread does all of it (measured in docs/benchmarks.md): under load, 16 threads creating
inodes in the same folder while another fsyncs that folder's inode-table blocks cost 0.12 ms of
CPU per file creation in the kernel (0.005 ms alone); one thread creating the group's files one
after another does not contend. Every call that let go of the interpreter lock cost the leader
a wait to take it back behind the process's other threads, and the whole process waits for the
leader: so the short calls (open, write, linkat, close) keep the lock (lake/held_syscalls.py),
and the files' fsyncs are one wait instead of one each, the folders' another. In a gevent
worker those two waits are the event loop's (fsync_batch.set_cooperative_wait).

Only the file lake with fsync on stages for real. Elsewhere (S3, fsync off, a file system
without O_TMPFILE) `stage` writes the object at once and there is nothing left to commit.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lake import held_syscalls
from lake.fsync_batch import fsync_all
from lake.storage import LakeError, LakeKeyExists, LakeObject, LakeUnavailable


@dataclass
class StagedObject:
    """An object to commit; with `data` set it is still pending: not written, not durable."""

    obj: LakeObject
    data: bytes | None = field(default=None, repr=False)
    path: Path | None = field(default=None, repr=False)
    fd: int | None = field(default=None, repr=False)  # the unnamed file, while committing

    @property
    def pending(self) -> bool:
        return self.data is not None

    def discard(self) -> None:
        """Drop an object that will not be committed: an unnamed file vanishes with its fd."""
        self.data = None
        if self.fd is not None:
            _close(self.fd)
            self.fd = None


def open_unnamed(folder: Path) -> int | None:
    """An O_TMPFILE in `folder` (created when missing); None where the file system has none."""
    if not getattr(os, "O_TMPFILE", 0):
        return None
    try:
        try:
            return _open_unnamed(folder)
        except FileNotFoundError:
            # A new hour's folder: created once, by whichever request gets there first.
            folder.mkdir(parents=True, exist_ok=True)
            return _open_unnamed(folder)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _os_open_unnamed(folder: os.PathLike[str] | str, mode: int = 0o640) -> int:
    return os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, mode)


def _os_open_folder(folder: os.PathLike[str] | str) -> int:
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _os_link_open_file(fd: int, dir_fd: int, name: str) -> None:
    # With a dst_dir_fd, os.link is linkat(AT_SYMLINK_FOLLOW): the /proc link names the open file.
    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dir_fd)


# The short calls of a commit: through held_syscalls where it can (the interpreter lock kept,
# see there why), else through os. The fsyncs wait on the disk: never with the lock held.
if held_syscalls.available:
    _open_unnamed = held_syscalls.open_unnamed
    _write_all = held_syscalls.write_all
    _link_open_file = held_syscalls.link_open_file
    _open_folder = held_syscalls.open_folder
    _close = held_syscalls.close
else:
    _open_unnamed = _os_open_unnamed
    _write_all = write_all
    _link_open_file = _os_link_open_file
    _open_folder = _os_open_folder
    _close = os.close


def commit_staged(staged: Sequence[StagedObject]) -> list[LakeError | None]:
    """Make every pending object durable under its key; one outcome per object, in order.

    A failure is that object's alone (its caller answers 503, or learns its key exists); the
    others are committed. Every unnamed file is closed on return, committed or not.
    """
    outcomes: list[LakeError | None] = [None] * len(staged)
    pending = [(n, item) for n, item in enumerate(staged) if item.pending and item.path is not None]
    try:
        for n, item in pending:
            outcomes[n] = _write_unnamed(item)
        written = [(n, item) for n, item in pending if outcomes[n] is None]
        synced = fsync_all([item.fd for _, item in written])  # type: ignore[misc]  # written: fd is set
        for (n, item), error in zip(written, synced, strict=True):
            if error is not None:
                outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {error}")
        folders: dict[Path, list[tuple[int, StagedObject]]] = {}
        for n, item in written:
            if outcomes[n] is None:
                folders.setdefault(item.path.parent, []).append((n, item))  # type: ignore[union-attr]
        _name_and_sync(folders, outcomes)
    finally:
        for _, item in pending:
            item.discard()
    return outcomes


def _write_unnamed(item: StagedObject) -> LakeError | None:
    """The object's bytes into a new unnamed file in its folder (item.fd); the error otherwise."""
    try:
        fd = open_unnamed(item.path.parent)  # type: ignore[union-attr]  # pending: path is set
        if fd is None:
            # Staged on a file system that took O_TMPFILE when the process started and no longer
            # does (a folder remounted?): this delivery gets its 503, and its retry is written
            # the plain way (Lake.stage looks at the flag again).
            from lake import storage

            storage._tmpfile_supported = False
            return LakeUnavailable(f"lake write failed for {item.obj.key}: O_TMPFILE not supported here")
        item.fd = fd
        _write_all(fd, item.data)  # type: ignore[arg-type]  # pending: data is set
    except OSError as exc:
        return LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
    return None


def _name_and_sync(folders: dict[Path, list[tuple[int, StagedObject]]], outcomes: list[LakeError | None]) -> None:
    """Name each synced file in its folder, then fsync the folders, all of them with one wait."""
    opened: list[tuple[int, list[tuple[int, StagedObject]]]] = []  # (folder fd, the objects named there)
    try:
        for folder, items in folders.items():
            try:
                dir_fd = _open_folder(folder)
            except OSError as exc:
                for n, item in items:
                    outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
                continue
            named: list[tuple[int, StagedObject]] = []
            opened.append((dir_fd, named))
            for n, item in items:
                try:
                    # It fails if the key exists: write-once without a race.
                    _link_open_file(item.fd, dir_fd, item.path.name)  # type: ignore[arg-type,union-attr]
                except FileExistsError:
                    outcomes[n] = LakeKeyExists(item.obj.key)
                except OSError as exc:
                    outcomes[n] = LakeUnavailable(f"lake write failed for {item.obj.key}: {exc}")
                else:
                    named.append((n, item))
        # The new names are durable too. A folder whose fsync failed: its objects are named but
        # maybe not durable, so their callers answer 503 and the provider retries; a copy that did
        # survive has no ledger row and is found by replay_lake, absorbed by the UNIQUE
        # (source, external_id) if the retry came through.
        synced = fsync_all([dir_fd for dir_fd, _ in opened])
        for (_, named), error in zip(opened, synced, strict=True):
            if error is not None:
                for n, item in named:
                    outcomes[n] = LakeUnavailable(f"lake folder sync failed for {item.obj.key}: {error}")
    finally:
        for dir_fd, _ in opened:
            _close(dir_fd)
