"""Streaming access to the lake for files too large to hold in memory.

`lake.Lake.read`/`write` take whole byte strings, which suits webhook bodies; a call-log file of
100,000 calls is tens of megabytes, so here objects are copied in chunks through a local
temporary file (hashing on the way), and written back from it. Both backends of the lake are
handled: the file system (`Lake.root`) and S3 (the boto3 client under django-storages).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files import File

from lake import Lake, LakeKeyExists, LakeObject, LakeObjectMissing, LakeUnavailable

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InboxEntry:
    key: str
    size: int
    # Changes whenever the object is replaced (size + mtime on disk, size + ETag on S3): a cheap
    # "seen this exact upload already" test before hashing the whole file.
    fingerprint: str


@dataclass(frozen=True)
class Staged:
    path: Path
    sha256: str
    size: int


def _s3(lake: Lake) -> Any:
    return lake.storage.connection.meta.client  # type: ignore[attr-defined]


def _full_key(lake: Lake, key: str) -> str:
    return f"{lake.prefix}/{key}" if lake.prefix else key


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def inbox_entries(lake: Lake, prefix: str) -> Iterator[InboxEntry]:
    """Every object at `prefix` (an exact key, or a folder), sorted by key."""
    prefix = prefix.strip("/")
    if lake.scheme == "s3":
        full = _full_key(lake, prefix)
        strip = len(lake.prefix) + 1 if lake.prefix else 0
        try:
            pages = _s3(lake).get_paginator("list_objects_v2").paginate(Bucket=lake.bucket, Prefix=full)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if key != full and not key.startswith(full.rstrip("/") + "/"):
                        continue  # "inbox/call" must not match "inbox/call_center2/..."
                    if key.endswith("/"):
                        continue  # a folder marker
                    yield InboxEntry(
                        key=key[strip:], size=int(item["Size"]), fingerprint=f"{item['Size']}:{item['ETag']}"
                    )
        except Exception as exc:
            raise LakeUnavailable(f"cannot list {prefix}: {exc}") from exc
        return
    base = lake.root / prefix
    if base.is_file():
        stat = base.stat()
        yield InboxEntry(key=prefix, size=stat.st_size, fingerprint=f"{stat.st_size}:{stat.st_mtime_ns}")
        return
    if not base.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue  # a file still being written by its producer, or by the lake
            path = Path(dirpath, filename)
            stat = path.stat()
            yield InboxEntry(
                key=str(path.relative_to(lake.root)),
                size=stat.st_size,
                fingerprint=f"{stat.st_size}:{stat.st_mtime_ns}",
            )


def _open_source(lake: Lake, key: str) -> Any:
    if lake.scheme == "s3":
        try:
            return _s3(lake).get_object(Bucket=lake.bucket, Key=_full_key(lake, key))["Body"]
        except Exception as exc:
            if _error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise LakeObjectMissing(key) from exc
            raise LakeUnavailable(f"cannot read {key}: {exc}") from exc
    try:
        return open(lake.root / key, "rb")
    except FileNotFoundError as exc:
        raise LakeObjectMissing(key) from exc
    except OSError as exc:
        raise LakeUnavailable(f"cannot read {key}: {exc}") from exc


# What a job process leaves behind when it is killed (SIGKILL, the OOM killer, a hard time limit)
# before its clean-up runs: staged copies (`stage`) and rejects spools (rejects.py).
WORK_FILE_PATTERNS = ("calllog-*.part", "calllog-rejects-*.jsonl")
# Far beyond a job's hard time limit (57 min, tasks.py): a file this old belongs to no running job.
WORK_FILE_MAX_AGE_SECONDS = 24 * 3600


def work_files_sweep(*, directories: set[str], max_age_seconds: float = WORK_FILE_MAX_AGE_SECONDS) -> int:
    """Delete the work files of killed jobs from `directories`; returns how many."""
    cutoff = time.time() - max_age_seconds
    removed = 0
    for directory in directories:
        for pattern in WORK_FILE_PATTERNS:
            for path in Path(directory).glob(pattern):
                try:
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue  # gone already, or not ours to delete: the next run tries again
    return removed


def stage(lake: Lake, key: str, *, directory: str | None = None) -> Staged:
    """Copy an object to a local temporary file, hashing it on the way. The caller deletes it."""
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(prefix="calllog-", suffix=".part", dir=directory)
    try:
        source = _open_source(lake, key)
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except OSError as exc:
            raise LakeUnavailable(f"cannot copy {key}: {exc}") from exc
        finally:
            source.close()
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Staged(path=Path(name), sha256=digest.hexdigest(), size=size)


@contextmanager
def local_copy(lake: Lake, key: str) -> Iterator[Path]:
    """A local path to read an object from: the object itself on disk, a temporary copy from S3."""
    if lake.scheme != "s3":
        path = lake.root / key
        if not path.is_file():
            raise LakeObjectMissing(key)
        yield path
        return
    staged = stage(lake, key)
    try:
        yield staged.path
    finally:
        staged.path.unlink(missing_ok=True)


def write_file(lake: Lake, key: str, path: Path, *, sha256: str, size: int, content_type: str = "") -> LakeObject:
    """Write-once, streamed from a local file (raises LakeKeyExists if the key is taken)."""
    try:
        with open(path, "rb") as handle:
            if lake.scheme == "s3":
                extra = {"ContentType": content_type} if content_type else {}
                _s3(lake).put_object(
                    Bucket=lake.bucket,
                    Key=_full_key(lake, key),
                    Body=handle,
                    IfNoneMatch="*",
                    ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode(),
                    **extra,
                )
            else:
                lake.storage.save(key, File(handle))
    except LakeKeyExists:
        raise
    except Exception as exc:
        if _error_code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
            raise LakeKeyExists(key) from exc
        raise LakeUnavailable(f"lake write failed for {key}: {exc}") from exc
    return LakeObject(key=key, sha256=sha256, size=size)


def copy_into(target: Any, path: Path) -> None:
    with open(path, "rb") as handle:
        shutil.copyfileobj(handle, target, CHUNK)
