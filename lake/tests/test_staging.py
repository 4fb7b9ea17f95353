"""Staged lake writes (lake/staging.py): bytes written by the request's thread, made durable and
named for a whole group at once, with the same write-once guarantee as Lake.write."""

from __future__ import annotations

import os

import pytest

from lake import Lake, LakeKeyExists, LakeUnavailable, commit_staged
from lake import storage as lake_storage


def _names(lake: Lake, folder: str) -> list[str]:
    path = lake.root / folder
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def test_a_staged_object_is_invisible_until_its_group_is_committed(durable_file_lake: Lake) -> None:
    one = durable_file_lake.stage("raw/sms/2026/01/01/00/one.form", b"Body=one")
    two = durable_file_lake.stage("raw/sms/2026/01/01/01/two.form", b"Body=two")  # a new hour's folder
    assert one.pending and two.pending
    assert one.obj.size == 8 and len(one.obj.sha256) == 64
    # Written but unnamed: nobody can read a half-durable object, and a crash leaves nothing.
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
    fd = staged.fd
    staged.discard()
    assert not staged.pending and _names(durable_file_lake, "raw/sms/2026/01/01/00") == []
    with pytest.raises(OSError):
        os.fstat(fd)  # type: ignore[arg-type]
    assert commit_staged([staged]) == [None]  # nothing pending: nothing to do


def test_a_folder_that_cannot_be_created_is_a_lake_outage(durable_file_lake: Lake) -> None:
    durable_file_lake.root.mkdir(parents=True, exist_ok=True)
    (durable_file_lake.root / "raw").write_text("a file where the folder should be")
    with pytest.raises(LakeUnavailable):
        durable_file_lake.stage("raw/sms/2026/01/01/00/x.form", b"x")


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
