"""fsync a group's files with one wait: Linux AIO's fsync (io_submit, then io_getevents).

The accept group's leader used to fsync its files one after another through `os.fsync`, and
each call let go of the interpreter lock for the disk wait and then queued to take it back
behind the process's other threads (16 in a gthread worker). Under load that queueing, not the
disk, was most of the group's flush: 7.3 ms of wall time for 1.0 ms of CPU with 8-9 files per
group (docs/benchmarks.md), and the flush is what every request of the process waits for.

Here the files' fsyncs are handed to the kernel together (IOCB_CMD_FSYNC, Linux 4.18 and later:
each runs `vfs_fsync` on a kernel worker, so they also overlap on the device), and the thread
waits once for all of them, the lock released once. The guarantee is fsync's: each file's
outcome is its own fsync's result, and nothing returns before every fsync has finished.

In a gevent worker (the webhook server, complaintsite/green.py) a blocking wait would stop
every request of the process, not just this one: there each batch also signals an eventfd
(IOCB_FLAG_RESFD), the wait is the event loop's (`set_cooperative_wait`), and the completions
are collected without blocking once the eventfd says some are in.

Where Linux AIO is missing (another OS or architecture, a seccomp profile that forbids it, the
system's aio-max-nr used up, a file system without AIO fsync) `fsync_all` falls back to one
`os.fsync` per file, for good after the first refusal.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import platform
import struct
import threading
from collections.abc import Callable, Sequence

# System call numbers: x86_64 has its own; aarch64 (and the other new ports) the generic table.
_SYSCALLS = {
    "x86_64": (206, 209, 208),  # io_setup, io_submit, io_getevents
    "aarch64": (0, 2, 4),
}.get(platform.machine())
_IO_SETUP, _IO_SUBMIT, _IO_GETEVENTS = _SYSCALLS or (-1, -1, -1)

IOCB_CMD_FSYNC = 2
IOCB_FLAG_RESFD = 1  # the kernel adds 1 to the iocb's eventfd when the request completes
_IOCB = struct.Struct("<QIIHhIQQqQII")  # struct iocb (64 bytes, little-endian ABI)
_EVENT = struct.Struct("<QQqq")  # struct io_event: data, obj, res, res2
_QUEUE_DEPTH = 64  # per call at most; a bigger group is submitted in slices

_lock = threading.Lock()  # one batch at a time per process: completions are never mixed up
_context: tuple[int, int] | None = None  # (pid, aio context); a forked child makes its own
_refused = _SYSCALLS is None
_tags = itertools.count(1)
# Set in a gevent worker: waits until a descriptor is readable, yielding to the event loop.
_cooperative_wait: Callable[[int], None] | None = None
_eventfd: tuple[int, int] | None = None  # (pid, eventfd) for the cooperative wait


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_NO_WAIT = _Timespec(0, 0)

try:
    # io_submit only queues the work: made while holding the interpreter lock (PyDLL). The wait
    # (io_getevents) goes through CDLL, which releases the lock for the call.
    # Collecting completions that are already in (no timeout) does not wait: held as well.
    _submit_call = ctypes.PyDLL(None, use_errno=True).syscall
    _wait_call = ctypes.CDLL(None, use_errno=True).syscall
    _setup_call = _wait_call
    _collect_call = _submit_call
except (OSError, AttributeError):
    _refused = True
else:
    for _call in (_submit_call, _wait_call):
        _call.restype = ctypes.c_long


def set_cooperative_wait(wait: Callable[[int], None] | None) -> None:
    """Wait for the fsyncs with `wait(fd)` (returns once fd is readable) instead of blocking
    the thread: gevent's `wait_read` in a gevent worker. None restores the blocking wait."""
    global _cooperative_wait
    with _lock:
        _cooperative_wait = wait


def fsync_all(fds: Sequence[int]) -> list[OSError | None]:
    """fsync every descriptor; one outcome per descriptor, in order (None: durable)."""
    if not fds:
        return []
    if not _refused:
        with _lock:
            context = _aio_context()
            if context is not None:
                outcomes = _fsync_by_aio(context, fds)
                if outcomes is not None:
                    return outcomes
    return [_fsync_one(fd) for fd in fds]


def available() -> bool:
    """Whether fsyncs go through AIO in this process (sets the context up if need be)."""
    with _lock:
        return not _refused and _aio_context() is not None


def _fsync_one(fd: int) -> OSError | None:
    try:
        os.fsync(fd)
    except OSError as exc:
        return exc
    return None


def _aio_context() -> int | None:
    global _context, _refused
    if _context is not None and _context[0] == os.getpid():
        return _context[1]
    context = ctypes.c_ulong(0)
    result = _setup_call(ctypes.c_long(_IO_SETUP), ctypes.c_long(_QUEUE_DEPTH), ctypes.byref(context))
    if result != 0:
        # ENOSYS, EPERM (seccomp), EAGAIN (aio-max-nr reached): os.fsync from now on.
        _refused = True
        return None
    _context = (os.getpid(), context.value)
    return context.value


def _fsync_by_aio(context: int, fds: Sequence[int]) -> list[OSError | None] | None:
    """The batch through AIO; None if the kernel refused its first request (then nothing of
    this batch is in flight and the caller fsyncs every file itself)."""
    global _refused
    outcomes: list[OSError | None] = [None] * len(fds)
    done = 0
    while done < len(fds):
        part = fds[done : done + _QUEUE_DEPTH]
        tags = {next(_tags): done + n for n in range(len(part))}
        resfd = _completion_eventfd() if _cooperative_wait is not None else None
        submitted = _submit(context, part, list(tags), resfd)
        if submitted < 0:
            code = -submitted
            if done == 0 and code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP):
                _refused = True  # no AIO fsync here (the file system, the kernel)
                return None
            # Not one of this slice went out: each file gets its own fsync.
            for n, fd in enumerate(part):
                outcomes[done + n] = _fsync_one(fd)
        else:
            # The kernel takes fewer than asked when it is short of slots or stops at one it
            # refuses (a closed descriptor): the rest are fsynced here, each with its own outcome,
            # while the submitted ones run.
            for n in range(submitted, len(part)):
                outcomes[done + n] = _fsync_one(part[n])
            for tag, result in _reap(context, list(tags)[:submitted], resfd):
                if result < 0:
                    outcomes[tags[tag]] = OSError(-result, f"fsync: {os.strerror(-result)}")
        done += len(part)
    return outcomes


def _completion_eventfd() -> int:
    global _eventfd
    if _eventfd is None or _eventfd[0] != os.getpid():
        _eventfd = (os.getpid(), os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC))
    return _eventfd[1]


def _submit(context: int, fds: Sequence[int], tags: list[int], resfd: int | None = None) -> int:
    """io_submit one IOCB_CMD_FSYNC per descriptor; how many went out, or -errno. With `resfd`
    each completion also signals that eventfd."""
    count = len(fds)
    iocbs = ctypes.create_string_buffer(_IOCB.size * count)
    pointers = (ctypes.c_void_p * count)()
    base = ctypes.addressof(iocbs)
    for n, (fd, tag) in enumerate(zip(fds, tags, strict=True)):
        # data (our tag), key, rw_flags, opcode, reqprio, fd, buf, nbytes, offset, reserved, flags, resfd
        flags, signalled = (0, 0) if resfd is None else (IOCB_FLAG_RESFD, resfd)
        _IOCB.pack_into(iocbs, n * _IOCB.size, tag, 0, 0, IOCB_CMD_FSYNC, 0, fd, 0, 0, 0, 0, flags, signalled)
        pointers[n] = base + n * _IOCB.size
    while True:
        result = _submit_call(
            ctypes.c_long(_IO_SUBMIT),
            ctypes.c_ulong(context),
            ctypes.c_long(count),
            pointers,
        )
        if result >= 0:
            return int(result)
        code = ctypes.get_errno()
        if code != errno.EINTR:
            return -code


def _reap(context: int, tags: list[int], eventfd: int | None = None) -> list[tuple[int, int]]:
    """Wait until every tagged request has completed: (tag, result) each, result 0 or -errno.

    A completion with another tag is one an earlier batch left behind (its wait was cut short by
    an error): it is dropped, never taken for one of these. With `eventfd` (the batch was
    submitted with it) the waiting is the event loop's: what is in is collected without
    blocking, and while some are missing the loop waits for the eventfd the kernel signals."""
    count = len(tags)
    expected = set(tags)
    events = ctypes.create_string_buffer(_EVENT.size * count)
    base = ctypes.addressof(events)
    reaped: list[tuple[int, int]] = []
    while len(reaped) < count:
        wanted = count - len(reaped)
        if eventfd is None:
            # No timeout: wait as fsync waits (CDLL: the interpreter lock is released meanwhile).
            got = _wait_call(
                ctypes.c_long(_IO_GETEVENTS),
                ctypes.c_ulong(context),
                ctypes.c_long(wanted),
                ctypes.c_long(wanted),
                ctypes.c_void_p(base),
                ctypes.c_void_p(None),
            )
        else:
            got = _collect_call(
                ctypes.c_long(_IO_GETEVENTS),
                ctypes.c_ulong(context),
                ctypes.c_long(0),
                ctypes.c_long(wanted),
                ctypes.c_void_p(base),
                ctypes.byref(_NO_WAIT),
            )
        if got < 0:
            if ctypes.get_errno() == errno.EINTR:
                continue
            raise OSError(ctypes.get_errno(), f"io_getevents: {os.strerror(ctypes.get_errno())}")
        for n in range(got):
            tag, _obj, result, _result2 = _EVENT.unpack_from(events, n * _EVENT.size)
            if tag in expected:
                reaped.append((tag, result))
        if eventfd is not None and len(reaped) < count:
            _wait_for_eventfd(eventfd)
    return reaped


def _wait_for_eventfd(eventfd: int) -> None:
    # Level-triggered: a completion that came in since the last collection has already counted,
    # so this returns at once for it. The count is then reset before collecting again.
    assert _cooperative_wait is not None
    _cooperative_wait(eventfd)
    try:
        os.eventfd_read(eventfd)
    except BlockingIOError:
        pass
