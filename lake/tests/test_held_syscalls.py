"""lake/held_syscalls.py: libc's open/write/linkat/close called with the interpreter lock kept,
with the errors Python's os functions would raise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lake import held_syscalls

pytestmark = pytest.mark.skipif(not held_syscalls.available, reason="Linux with O_TMPFILE only")


def test_an_unnamed_file_is_written_whole_and_named_once(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one write may take
    fd = held_syscalls.open_unnamed(tmp_path)
    try:
        held_syscalls.write_all(fd, data)
        os.fsync(fd)
        assert list(tmp_path.iterdir()) == []  # unnamed until linked
        dir_fd = held_syscalls.open_folder(tmp_path)
        try:
            held_syscalls.link_open_file(fd, dir_fd, "object.bin")
            with pytest.raises(FileExistsError):
                held_syscalls.link_open_file(fd, dir_fd, "object.bin")  # write-once
            os.fsync(dir_fd)  # a folder descriptor, as the commit fsyncs it
        finally:
            held_syscalls.close(dir_fd)
    finally:
        held_syscalls.close(fd)
    assert (tmp_path / "object.bin").read_bytes() == data
    assert oct((tmp_path / "object.bin").stat().st_mode & 0o777) == oct(0o640 & ~_umask())


def test_errors_are_the_oserrors_os_would_raise(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as missing:
        held_syscalls.open_unnamed(tmp_path / "no-such-folder")
    assert missing.value.filename == str(tmp_path / "no-such-folder")
    with pytest.raises(OSError) as bad_fd:
        held_syscalls.write_all(987654, b"x")
    assert bad_fd.value.errno == 9  # EBADF
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        held_syscalls.open_unnamed(tmp_path / "file")
    with pytest.raises(NotADirectoryError):
        held_syscalls.open_folder(tmp_path / "file")
    with pytest.raises(FileNotFoundError):
        held_syscalls.open_folder(tmp_path / "no-such-folder")


def test_the_calls_go_through_pydll_which_keeps_the_interpreter_lock() -> None:
    # The module's whole point (CDLL would release the lock around every call, as os does).
    import ctypes

    assert isinstance(held_syscalls._libc, ctypes.PyDLL)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
