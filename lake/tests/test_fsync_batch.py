"""lake/fsync_batch.py: a group's fsyncs handed to the kernel together (Linux AIO) and waited for
once, each file with its own outcome; os.fsync where AIO is refused."""

from __future__ import annotations

import multiprocessing
import os
import select
import subprocess
import sys
import textwrap
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

    def submit(context: int, fds: list[int], tags: list[int], resfd: int | None = None) -> int:
        assert resfd is None  # no cooperative wait set: the blocking wait, no eventfd
        submissions.append(len(fds))
        return real_submit(context, fds, tags, resfd)

    def reap(context: int, tags: list[int], eventfd: int | None = None) -> list[tuple[int, int]]:
        reaps.append(len(tags))
        return real_reap(context, tags, eventfd)

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


@pytest.fixture
def cooperative_waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A cooperative wait that records the descriptor it waits on (and waits with select, as an
    event loop would); the blocking wait fails the test if it is used."""
    waited: list[int] = []

    def wait(fd: int) -> None:
        waited.append(fd)
        assert select.select([fd], [], [], 30)[0] == [fd], "the eventfd never became readable"

    def blocking_wait(*args: object) -> int:
        raise AssertionError("the blocking wait was used with a cooperative wait set")

    monkeypatch.setattr(fsync_batch, "_wait_call", blocking_wait)
    fsync_batch.set_cooperative_wait(wait)
    try:
        yield waited
    finally:
        fsync_batch.set_cooperative_wait(None)


@linux_aio
def test_with_a_cooperative_wait_completions_signal_an_eventfd_and_are_collected_without_blocking(
    tmp_path: Path, no_os_fsync: None, cooperative_waits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    signalled: list[int | None] = []
    real_submit = fsync_batch._submit

    def submit(context: int, fds: list[int], tags: list[int], resfd: int | None = None) -> int:
        signalled.append(resfd)
        return real_submit(context, fds, tags, resfd)

    monkeypatch.setattr(fsync_batch, "_submit", submit)
    # Enough data that the fsyncs are still running when the first collection looks.
    fds = [os.open(tmp_path / f"{n}.bin", os.O_CREAT | os.O_WRONLY, 0o600) for n in range(40)]
    try:
        for fd in fds:
            os.write(fd, os.urandom(256 * 1024))
        assert fsync_batch.fsync_all(fds) == [None] * 40
        assert fsync_batch.fsync_all(fds[:3]) == [None] * 3
    finally:
        for fd in fds:
            os.close(fd)
    eventfd = fsync_batch._eventfd[1] if fsync_batch._eventfd else None
    assert eventfd is not None and signalled == [eventfd, eventfd]
    assert set(cooperative_waits) <= {eventfd}  # it waited on the eventfd only, never blocked


@linux_aio
def test_a_cooperative_batch_reports_each_files_own_error(
    files: list[int], tmp_path: Path, cooperative_waits: list[int]
) -> None:
    closed = os.open(tmp_path / "closed.bin", os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(closed)
    outcomes = fsync_batch.fsync_all([files[0], closed, files[1]])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], OSError) and outcomes[1].errno == 9


@linux_aio
def test_a_stale_completion_is_not_taken_for_a_cooperative_batchs_own(
    files: list[int], cooperative_waits: list[int]
) -> None:
    with fsync_batch._lock:
        context = fsync_batch._aio_context()
        assert context is not None
        eventfd = fsync_batch._completion_eventfd()
        assert fsync_batch._submit(context, [files[0]], [10**12], eventfd) == 1  # left behind
    assert fsync_batch.fsync_all(files[1:]) == [None] * 4


GEVENT_WORKER = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import os, sys, gevent
    from lake import fsync_batch
    from complaintsite.green import install

    install()
    def refuse(*args):
        raise AssertionError("blocking wait used in a gevent worker")
    fsync_batch._wait_call = refuse
    folder = sys.argv[1]
    ticks = []
    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0)
    other = gevent.spawn(ticker)
    fds = [os.open(os.path.join(folder, f"{n}.bin"), os.O_CREAT | os.O_WRONLY, 0o600) for n in range(30)]
    for fd in fds:
        os.write(fd, os.urandom(256 * 1024))
    outcomes = fsync_batch.fsync_all(fds)
    other.kill()
    print(outcomes == [None] * 30, len(ticks) > 0)
    """
)


@linux_aio
def test_in_a_gevent_process_the_fsyncs_wait_in_the_event_loop(tmp_path: Path) -> None:
    pytest.importorskip("gevent")
    out = subprocess.run(
        [sys.executable, "-c", GEVENT_WORKER, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    # Every file durable, and another greenlet ran while the fsyncs were in flight.
    assert out.stdout.split() == ["True", "True"]


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
