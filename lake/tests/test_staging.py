"""Staged lake writes (lake/staging.py): objects handed over by the requests' threads, written,
made durable and named for a whole group at once, with the same write-once guarantee as
Lake.write."""

from __future__ import annotations

import os

import pytest

from lake import Lake, LakeKeyExists, LakeUnavailable, commit_staged, fsync_batch, staging
from lake import storage as lake_storage


def _names(lake: Lake, folder: str) -> list[str]:
    path = lake.root / folder
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def test_a_staged_object_is_invisible_until_its_group_is_committed(durable_file_lake: Lake) -> None:
    one = durable_file_lake.stage("raw/sms/2026/01/01/00/one.form", b"Body=one")
    two = durable_file_lake.stage("raw/sms/2026/01/01/01/two.form", b"Body=two")  # a new hour's folder
    assert one.pending and two.pending
    assert one.obj.size == 8 and len(one.obj.sha256) == 64
    # Not yet written: nobody can read a half-durable object, and a crash leaves nothing.
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == []
    assert not durable_file_lake.exists(one.obj.key)
    assert commit_staged([one, two]) == [None, None]
    assert durable_file_lake.read(one.obj.key) == b"Body=one" and durable_file_lake.read(two.obj.key) == b"Body=two"
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == ["one.form"]  # no temporary left behind
    assert not one.pending and not two.pending  # their files are closed


def test_a_key_that_exists_fails_its_own_object_only_and_the_first_bytes_stay(durable_file_lake: Lake) -> None:
    durable_file_lake.write("raw/sms/2026/01/01/00/taken.form", b"first")
    taken = durable_file_lake.stage("raw/sms/2026/01/01/00/taken.form", b"second")
    free = durable_file_lake.stage("raw/sms/2026/01/01/00/free.form", b"free")
    outcomes = commit_staged([taken, free])
    assert isinstance(outcomes[0], LakeKeyExists) and outcomes[1] is None
    assert durable_file_lake.read("raw/sms/2026/01/01/00/taken.form") == b"first"
    assert durable_file_lake.read("raw/sms/2026/01/01/00/free.form") == b"free"


def test_a_discarded_object_leaves_nothing_behind(durable_file_lake: Lake) -> None:
    staged = durable_file_lake.stage("raw/sms/2026/01/01/00/gone.form", b"Body=gone")
    staged.discard()
    assert not staged.pending
    assert commit_staged([staged]) == [None]  # nothing pending: nothing to do
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == []


def test_the_files_are_synced_together_before_they_are_named_and_the_folders_last(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, tuple[int, ...]]] = []
    real_fsync_all, real_link = staging.fsync_all, staging._link_open_file

    def fsync_all(fds: list[int]) -> list[OSError | None]:
        calls.append(("fsync", tuple(fds)))
        return real_fsync_all(fds)

    def link_open_file(fd: int, dir_fd: int, name: str) -> None:
        calls.append(("link", (fd, dir_fd)))
        real_link(fd, dir_fd, name)

    monkeypatch.setattr(staging, "fsync_all", fsync_all)
    monkeypatch.setattr(staging, "_link_open_file", link_open_file)
    # A group at the turn of an hour: two folders.
    keys = ["raw/sms/2026/01/01/00/0.form", "raw/sms/2026/01/01/00/1.form", "raw/sms/2026/01/01/01/2.form"]
    group = [durable_file_lake.stage(key, b"Body=%d" % n) for n, key in enumerate(keys)]
    assert commit_staged(group) == [None, None, None]
    assert [kind for kind, _ in calls] == ["fsync"] + ["link"] * 3 + ["fsync"]
    files, folders = calls[0][1], calls[-1][1]
    assert len(set(files)) == 3 and [link[1][0] for link in calls[1:4]] == list(files)  # one wait, then names
    # One more wait for both folders, each the folder its files were named in.
    assert len(folders) == 2 and {link[1][1] for link in calls[1:4]} == set(folders)
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == ["0.form", "1.form"]
    assert _names(durable_file_lake, "raw/sms/2026/01/01/01") == ["2.form"]


def test_a_folder_whose_fsync_fails_fails_the_objects_named_in_it_only(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync_all, waits = staging.fsync_all, []

    def fsync_all(fds: list[int]) -> list[OSError | None]:
        waits.append(len(fds))
        outcomes = real_fsync_all(fds)
        if len(waits) == 2:  # the folders' wait: the first folder's disk said no
            return [OSError(5, "Input/output error"), *outcomes[1:]]
        return outcomes

    monkeypatch.setattr(staging, "fsync_all", fsync_all)
    keys = ["raw/sms/2026/01/01/00/a.form", "raw/sms/2026/01/01/01/b.form"]
    outcomes = commit_staged([durable_file_lake.stage(key, b"x") for key in keys])
    assert waits == [2, 2]
    assert isinstance(outcomes[0], LakeUnavailable) and "folder sync failed" in str(outcomes[0])
    assert outcomes[1] is None


def test_a_file_whose_fsync_fails_fails_alone_and_is_not_named(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync_all, waits = staging.fsync_all, []

    def fsync_all(fds: list[int]) -> list[OSError | None]:
        waits.append(len(fds))
        outcomes = real_fsync_all(fds)
        if len(waits) > 1:
            return outcomes  # the folder's wait
        return [OSError(5, "Input/output error"), *outcomes[1:]]  # the first file's disk said no

    monkeypatch.setattr(staging, "fsync_all", fsync_all)
    lost = durable_file_lake.stage("raw/sms/2026/01/01/00/lost.form", b"lost")
    kept = durable_file_lake.stage("raw/sms/2026/01/01/00/kept.form", b"kept")
    outcomes = commit_staged([lost, kept])
    assert isinstance(outcomes[0], LakeUnavailable) and "Input/output error" in str(outcomes[0])
    assert outcomes[1] is None
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == ["kept.form"]  # never named unsynced


def test_a_write_that_fails_fails_its_own_object_only(durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write_all = staging._write_all

    def write_all(fd: int, data: bytes) -> None:
        if data == b"Body=full":
            raise OSError(28, "No space left on device")
        real_write_all(fd, data)

    monkeypatch.setattr(staging, "_write_all", write_all)
    full = durable_file_lake.stage("raw/sms/2026/01/01/00/full.form", b"Body=full")
    fine = durable_file_lake.stage("raw/sms/2026/01/01/00/fine.form", b"Body=fine")
    outcomes = commit_staged([full, fine])
    assert isinstance(outcomes[0], LakeUnavailable) and "No space left" in str(outcomes[0])
    assert outcomes[1] is None and durable_file_lake.read(fine.obj.key) == b"Body=fine"
    assert _names(durable_file_lake, "raw/sms/2026/01/01/00") == ["fine.form"]
    assert not full.pending and full.fd is None  # its unnamed file closed: nothing left behind


def test_a_folder_that_cannot_be_created_is_a_lake_outage(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    durable_file_lake.root.mkdir(parents=True, exist_ok=True)
    (durable_file_lake.root / "raw").write_text("a file where the folder should be")
    monkeypatch.setattr(lake_storage, "_tmpfile_supported", True)  # decided earlier in the process
    staged = durable_file_lake.stage("raw/sms/2026/01/01/00/x.form", b"x")
    outcome = commit_staged([staged])
    assert isinstance(outcome[0], LakeUnavailable) and not staged.pending
    # The first stage of a process looks at the file system itself: the outage shows at once.
    monkeypatch.setattr(lake_storage, "_tmpfile_supported", None)
    with pytest.raises(LakeUnavailable):
        durable_file_lake.stage("raw/sms/2026/01/01/00/y.form", b"y")


def test_without_fsync_or_without_o_tmpfile_the_object_is_written_at_once(
    file_lake: Lake, durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = Lake(durable_file_lake.url)
    fast.storage.fsync = False  # type: ignore[attr-defined]  # LAKE_FSYNC=false: nothing to wait for
    staged = fast.stage("raw/sms/2026/01/01/00/fast.form", b"fast")
    assert not staged.pending and fast.read("raw/sms/2026/01/01/00/fast.form") == b"fast"
    monkeypatch.setattr(lake_storage, "_tmpfile_supported", False)  # a file system without O_TMPFILE
    staged = durable_file_lake.stage("raw/sms/2026/01/01/00/plain.form", b"plain")
    assert not staged.pending and durable_file_lake.read("raw/sms/2026/01/01/00/plain.form") == b"plain"


def test_an_s3_lake_writes_at_once(s3_lake: Lake) -> None:
    staged = s3_lake.stage("raw/sms/2026/01/01/00/s3.form", b"s3", content_type="text/plain")
    assert not staged.pending
    assert commit_staged([staged]) == [None]
    assert s3_lake.read("raw/sms/2026/01/01/00/s3.form") == b"s3"


def test_without_held_system_calls_the_same_commit_goes_through_os(
    durable_file_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where ctypes or Linux AIO is missing the commit uses Python's os functions.
    monkeypatch.setattr(staging, "_open_unnamed", staging._os_open_unnamed)
    monkeypatch.setattr(staging, "_write_all", staging.write_all)
    monkeypatch.setattr(staging, "_link_open_file", staging._os_link_open_file)
    monkeypatch.setattr(staging, "_open_folder", staging._os_open_folder)
    monkeypatch.setattr(staging, "_close", os.close)
    monkeypatch.setattr(fsync_batch, "_refused", True)
    real_fsync, synced = os.fsync, []

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    durable_file_lake.write("raw/sms/2026/01/01/00/taken.form", b"first")
    group = [
        durable_file_lake.stage("raw/sms/2026/01/01/00/taken.form", b"second"),
        durable_file_lake.stage("raw/sms/2026/01/01/02/new.form", b"new"),
    ]
    synced.clear()  # the first write's own fsyncs
    outcomes = commit_staged(group)
    assert isinstance(outcomes[0], LakeKeyExists) and outcomes[1] is None
    assert durable_file_lake.read("raw/sms/2026/01/01/00/taken.form") == b"first"
    assert durable_file_lake.read("raw/sms/2026/01/01/02/new.form") == b"new"
    assert len(synced) == 4  # each file, then each of the two folders, one os.fsync apiece
