"""The lake commit's short system calls, made without letting go of the interpreter lock.

Python's own `os.open`, `os.write`, `os.link` and `os.close` release the interpreter lock for
the duration of the call and take it back after. For a call that takes microseconds that is a
loss under load: the thread that made it then waits for the lock behind every other thread of
the process (a gthread worker has 16), and the accept group's leader makes about five such calls
per object, so a group of 8 spent more time queueing for the lock than doing its work (a 700 µs
mean wait per call with one other busy thread, measured in docs/benchmarks.md). Through
`ctypes.PyDLL` the same libc calls keep the lock: nothing else of the process runs during them,
and they are short. The calls that wait on the disk do not come here: the files' fsyncs are one
wait for the whole group (lake/fsync_batch.py), the folders' another.

Linux only (glibc or musl); `available` is False elsewhere and the callers use `os`. The file
lake is meant for a local disk, where these calls do not wait on I/O; on a network file system
they could, with the lock held (the S3 lake is the production choice there). On ext4 without a
journal an open is also slow, 0.4-0.9 ms instead of 0.03, for minutes after many files were
deleted (docs/benchmarks.md): a file lake belongs on a volume of its own.
"""

from __future__ import annotations

import ctypes
import errno as errno_codes
import os

AT_SYMLINK_FOLLOW = 0x400

try:
    _libc = ctypes.PyDLL(None, use_errno=True)  # the C library the interpreter already uses
    _open = _libc.open
    _write = _libc.write
    _close = _libc.close
    _linkat = _libc.linkat
except (OSError, AttributeError):
    available = False
else:
    available = hasattr(os, "O_TMPFILE")
    _open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]
    _open.restype = ctypes.c_int
    _write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    _write.restype = ctypes.c_ssize_t
    _close.argtypes = [ctypes.c_int]
    _close.restype = ctypes.c_int
    _linkat.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    _linkat.restype = ctypes.c_int


def _error(what: str, path: str | None = None) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{what}: {os.strerror(code)}", path)


def open_unnamed(folder: os.PathLike[str] | str, mode: int = 0o640) -> int:
    """open(folder, O_TMPFILE | O_WRONLY): an unnamed file in `folder`; OSError as os.open gives."""
    return _open_path(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, mode)


def open_folder(folder: os.PathLike[str] | str) -> int:
    """open(folder, O_RDONLY | O_DIRECTORY): a descriptor to link names into and to fsync."""
    return _open_path(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, 0)


def _open_path(folder: os.PathLike[str] | str, flags: int, mode: int) -> int:
    path = os.fsencode(folder)
    while True:
        fd = _open(path, flags, mode)
        if fd >= 0:
            return fd
        if ctypes.get_errno() != errno_codes.EINTR:
            raise _error("open", os.fsdecode(path))  # OSError picks the subclass (FileNotFoundError...)


def write_all(fd: int, data: bytes) -> None:
    offset = 0
    while offset < len(data):
        chunk = data[offset:] if offset else data
        written = _write(fd, chunk, len(chunk))
        if written < 0:
            if ctypes.get_errno() == errno_codes.EINTR:
                continue
            raise _error("write")
        offset += written


def link_open_file(fd: int, dir_fd: int, name: str) -> None:
    """linkat the open unnamed file `fd` as `name` in `dir_fd`; FileExistsError if it exists."""
    if _linkat(-100, f"/proc/self/fd/{fd}".encode(), dir_fd, os.fsencode(name), AT_SYMLINK_FOLLOW) != 0:
        code = ctypes.get_errno()
        if code == errno_codes.EEXIST:
            raise FileExistsError(code, os.strerror(code), name)
        raise OSError(code, f"linkat: {os.strerror(code)}", name)


def close(fd: int) -> None:
    # Linux closes the descriptor even when close reports an error (EINTR included): never retry.
    _close(fd)
