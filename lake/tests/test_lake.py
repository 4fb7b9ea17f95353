"""The lake on disk and on the S3 server: write-once, sha256, layout, quarantine, listing."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lake import Lake, LakeKeyExists, LakeObjectMissing, LakeUnavailable, raw_key


@pytest.fixture(params=["file", "s3"])
def lake(request: pytest.FixtureRequest) -> Lake:
    fixture = "file_lake" if request.param == "file" else "s3_lake"
    return request.getfixturevalue(fixture)


def test_raw_keys_are_partitioned_by_source_and_utc_hour() -> None:
    event_id = uuid.UUID("00000000-0000-4000-8000-000000000001")
    at = datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=UTC)
    assert raw_key("sms", at, event_id, "txt") == (
        "raw/sms/2026/03/29/01/20260329T013005123456Z_00000000-0000-4000-8000-000000000001.txt"
    )
    # Any zone in, UTC out; small fields padded.
    berlin = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=1)))
    assert raw_key("web_form", berlin, event_id, "multipart") == (
        "raw/web_form/2026/01/02/02/20260102T020405000006Z_00000000-0000-4000-8000-000000000001.multipart"
    )


def test_a_write_records_the_sha256_and_reads_back_the_same_bytes(lake: Lake) -> None:
    body = b"\x00binary \xff payload\r\n"
    obj = lake.write("raw/sms/2026/01/01/00/a.bin", body)
    assert obj.sha256 == hashlib.sha256(body).hexdigest() and obj.size == len(body)
    assert lake.read("raw/sms/2026/01/01/00/a.bin") == body


def test_the_lake_never_overwrites_an_object(lake: Lake) -> None:
    lake.write("raw/sms/k.txt", b"first")
    with pytest.raises(LakeKeyExists):
        lake.write("raw/sms/k.txt", b"second")
    assert lake.read("raw/sms/k.txt") == b"first"


def test_a_missing_object_is_a_normal_named_case(lake: Lake) -> None:
    with pytest.raises(LakeObjectMissing):
        lake.read("raw/sms/nothing-here.txt")


def test_quarantine_keeps_the_bytes_and_the_reason_beside_them(lake: Lake) -> None:
    obj = lake.quarantine(source="sms", data=b"not json", reason="body is not JSON", name="delivery.json")
    assert obj.key.startswith("quarantine/sms/")
    assert lake.read(obj.key) == b"not json"
    reason = json.loads(lake.read(obj.key + ".reason.json"))
    assert reason["reason"] == "body is not JSON" and reason["sha256"] == obj.sha256


def test_listing_a_prefix_returns_every_key_sorted(lake: Lake) -> None:
    for name in ("b.csv", "a.csv", "sub/c.jsonl"):
        lake.write(f"inbox/call_center/{name}", b"x")
    lake.write("inbox/other/z.csv", b"x")
    assert list(lake.list("inbox/call_center")) == [
        "inbox/call_center/a.csv",
        "inbox/call_center/b.csv",
        "inbox/call_center/sub/c.jsonl",
    ]


def test_an_s3_endpoint_that_is_down_is_unavailable_not_a_crash(settings) -> None:
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "x"
    with pytest.raises(LakeUnavailable):
        Lake("s3://bucket/prefix").write("raw/x", b"data")


def test_a_readonly_file_lake_is_unavailable(tmp_path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    with pytest.raises(LakeUnavailable):
        Lake(blocked.as_uri()).write("raw/x", b"data")


@pytest.mark.parametrize("anonymous", [True, False], ids=["O_TMPFILE", "named temporary file"])
def test_a_file_lake_write_leaves_only_the_object_and_stays_write_once(
    file_lake: Lake, anonymous: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lake import storage

    # Both ways of writing: the unnamed file linked in place, and the fallback for file systems
    # without O_TMPFILE (a named temporary file, linked, unlinked).
    monkeypatch.setattr(storage, "_tmpfile_supported", None if anonymous else False)
    obj = file_lake.write("raw/sms/2026/01/01/00/one.form", b"From=%2B1&Body=hi")
    assert storage._tmpfile_supported is (True if anonymous else False)
    folder = file_lake.root / "raw/sms/2026/01/01/00"
    assert sorted(p.name for p in folder.iterdir()) == ["one.form"]  # no temporary left behind
    assert (folder / "one.form").read_bytes() == b"From=%2B1&Body=hi" and obj.size == 17
    with pytest.raises(LakeKeyExists):
        file_lake.write("raw/sms/2026/01/01/00/one.form", b"other")
    assert sorted(p.name for p in folder.iterdir()) == ["one.form"]
    assert file_lake.read("raw/sms/2026/01/01/00/one.form") == b"From=%2B1&Body=hi"
