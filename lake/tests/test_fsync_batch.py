"""lake/fsync_batch.py: a group's fsyncs handed to the kernel together (Linux AIO) and waited for
once, each file with its own outcome; os.fsync where AIO is refused."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lake import fsync_batch

linux_aio = pytest.mark.skipif(fsync_batch._SYSCALLS is None, reason="Linux AIO on x86_64 or aarch64 only")


@pytest.fixture
def files(tmp_path: Path) -> Iterator[list[int]]:
    fds = []
    for n in range(5):
        fd = os.open(tmp_path / f"{n}.bin", os.O_CREAT | os.O_WRONLY, 0o600)
        os.write(fd, b"x" * (n + 1))
        fds.append(fd)
    yield fds
    for fd in fds:
        os.close(fd)


@pytest.fixture
def no_os_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof that the batch went through AIO: a fall-back to os.fsync fails the test."""

    def fsync(fd: int) -> None:
        raise AssertionError(f"os.fsync({fd}) called: the batch did not go through AIO")

    monkeypatch.setattr(fsync_batch.os, "fsync", fsync)


@linux_aio
def test_every_file_is_synced_with_one_submission_and_one_wait(
    files: list[int], no_os_fsync: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    submissions: list[int] = []
    reaps: list[int] = []
    real_submit, real_reap = fsync_batch._submit, fsync_batch._reap

    def submit(context: int, fds: list[int], tags: list[int]) -> int:
        submissions.append(len(fds))
        return real_submit(context, fds, tags)

    def reap(context: int, tags: list[int]) -> list[tuple[int, int]]:
        reaps.append(len(tags))
        return real_reap(context, tags)

    monkeypatch.setattr(fsync_batch, "_submit", submit)
    monkeypatch.setattr(fsync_batch, "_reap", reap)
    assert fsync_batch.available()
    assert fsync_batch.fsync_all(files) == [None] * 5
    assert submissions == [5] and reaps == [5]
    assert fsync_batch.fsync_all([]) == []


@linux_aio
def test_a_bad_descriptor_fails_alone(files: list[int], tmp_path: Path) -> None:
    closed = os.open(tmp_path / "closed.bin", os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(closed)
    outcomes = fsync_batch.fsync_all([files[0], closed, files[1]])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], OSError) and outcomes[1].errno == 9  # EBADF, as os.fsync says


@linux_aio
def test_a_batch_larger_than_the_queue_goes_in_slices(tmp_path: Path, no_os_fsync: None) -> None:
    fds = [os.open(tmp_path / f"{n}.bin", os.O_CREAT | os.O_WRONLY, 0o600) for n in range(150)]
    try:
        assert fsync_batch.fsync_all(fds) == [None] * 150
    finally:
        for fd in fds:
            os.close(fd)


@linux_aio
def test_a_completion_left_behind_by_an_earlier_batch_is_not_taken_for_a_new_one(files: list[int]) -> None:
    with fsync_batch._lock:
        context = fsync_batch._aio_context()
        assert context is not None
        assert fsync_batch._submit(context, [files[0]], [10**12]) == 1  # never reaped by its batch
        assert fsync_batch._submit(context, [files[1]], [7]) == 1
        assert fsync_batch._reap(context, [7]) == [(7, 0)]
    assert fsync_batch.fsync_all(files[2:]) == [None] * 3  # still counts its own completions only


def test_where_aio_is_refused_each_file_gets_os_fsync(files: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(fsync_batch, "_context", None)
    monkeypatch.setattr(fsync_batch, "_refused", False)
    monkeypatch.setattr(fsync_batch, "_setup_call", lambda *args: -1)  # e.g. seccomp's EPERM
    monkeypatch.setattr(fsync_batch.os, "fsync", synced.append)
    assert fsync_batch.fsync_all(files) == [None] * 5
    assert synced == files and fsync_batch._refused and not fsync_batch.available()


def _child_fsyncs(path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    fd = os.open(path, os.O_WRONLY)
    try:
        results.put((fsync_batch.fsync_all([fd]), fsync_batch._context is not None and fsync_batch._context[0]))
    finally:
        os.close(fd)


@linux_aio
def test_a_forked_worker_makes_its_own_context(files: list[int], tmp_path: Path) -> None:
    assert fsync_batch.fsync_all(files) == [None] * 5  # the parent's context exists (as with --preload)
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=_child_fsyncs, args=(str(tmp_path / "0.bin"), results))
    child.start()
    outcomes, owner = results.get(timeout=30)
    child.join(timeout=30)
    assert outcomes == [None] and owner == child.pid and owner != os.getpid()
