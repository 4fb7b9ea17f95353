"""One small module over Django's storage API: the file system for `file://`, S3 for `s3://`.

Layout (ARCHITECTURE.md, rule 1):

    raw/<source>/<YYYY>/<MM>/<DD>/<HH>/<received-at UTC, ISO basic>_<uuid>.<ext>
    quarantine/<source>/<YYYY>/<MM>/<DD>/<HH>/<name>          + <name>.reason.json
    inbox/<source>/...                                        files dropped by other systems
    attachments/<source>/<YYYY>/<MM>/<DD>/<event uuid>/<n>.<ext>

Objects are write-once: a second write to a key raises LakeKeyExists instead of replacing it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

if TYPE_CHECKING:
    from lake.staging import StagedObject

logger = logging.getLogger(__name__)


class LakeError(Exception):
    pass


class LakeUnavailable(LakeError):
    """The lake cannot be written or read right now: the caller answers 503 or retries."""


class LakeKeyExists(LakeError):
    pass


class LakeObjectMissing(LakeError):
    pass


@dataclass(frozen=True)
class LakeObject:
    key: str
    sha256: str
    size: int


def _partition(at: datetime) -> str:
    at = at.astimezone(UTC)
    # Fields, not strftime: a third of the cost, on every accepted delivery.
    return f"{at.year:04d}/{at.month:02d}/{at.day:02d}/{at.hour:02d}"


def raw_key(source: str, received_at: datetime, event_id: uuid.UUID, ext: str) -> str:
    at = received_at.astimezone(UTC)
    stamp = f"{at.year:04d}{at.month:02d}{at.day:02d}T{at.hour:02d}{at.minute:02d}{at.second:02d}{at.microsecond:06d}Z"
    return f"raw/{source}/{_partition(at)}/{stamp}_{event_id}.{ext}"


class DurableFileSystemStorage(FileSystemStorage):
    """File-system storage that never replaces an object and fsyncs before saying "saved"."""

    def __init__(self, *args: Any, fsync: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fsync = fsync

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Django would pick "name_abc123" on a clash; the lake refuses instead.
        return name

    def _save(self, name: str, content: Any) -> str:
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if _write_anonymous_then_link(full_path, content, fsync=self.fsync):
                return name
            self._write_temporary_then_link(full_path, content)
        except FileExistsError as exc:
            raise LakeKeyExists(name) from exc
        if self.fsync:
            dir_fd = os.open(full_path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return name

    def _write_temporary_then_link(self, full_path: Path, content: Any) -> None:
        """Where O_TMPFILE is not supported: a named temporary file, linked, then unlinked."""
        tmp_path = full_path.with_name(f".{full_path.name}.{uuid.uuid4().hex}.part")
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            for chunk in content.chunks():
                os.write(fd, chunk)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link() fails if the key exists: atomic write-once without a read-check-write race.
            os.link(tmp_path, full_path)
        finally:
            os.unlink(tmp_path)


# Whether this process's lake folder takes O_TMPFILE (Linux 3.11+, ext4/xfs/btrfs/tmpfs); decided
# on the first write and remembered: an unsupported file system fails the same way every time.
_tmpfile_supported: bool | None = None


def _write_anonymous_then_link(full_path: Path, content: Any, *, fsync: bool) -> bool:
    """Write the bytes into an unnamed file in the key's folder, fsync it, give it its name with
    linkat(), fsync the folder. No temporary name to create and unlink (two fewer directory
    changes per object), and a crash before the link leaves nothing behind.

    False when O_TMPFILE is not available here: the caller writes a named temporary file.
    """
    global _tmpfile_supported
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or _tmpfile_supported is False or not _proc_fd_links():
        return False
    dir_fd = os.open(full_path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fd = os.open(".", flag | os.O_WRONLY, 0o640, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                _tmpfile_supported = False
                return False
            raise
        _tmpfile_supported = True
        try:
            for chunk in content.chunks():
                os.write(fd, chunk)
            if fsync:
                os.fsync(fd)
            # With a dst_dir_fd, os.link is linkat(AT_SYMLINK_FOLLOW): the /proc link names the
            # open file itself. It fails if the key exists: write-once without a check-then-write race.
            os.link(f"/proc/self/fd/{fd}", full_path.name, dst_dir_fd=dir_fd)
        finally:
            os.close(fd)
        if fsync:
            os.fsync(dir_fd)  # the new name is durable too
    finally:
        os.close(dir_fd)
    return True


@lru_cache(maxsize=1)
def _proc_fd_links() -> bool:
    """Whether /proc/self/fd is there to name an O_TMPFILE with linkat (Linux with /proc)."""
    return os.path.isdir("/proc/self/fd")


class Lake:
    """Write-once object store addressed by key, over a Django Storage."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = urlparse(url)
        self.scheme = parsed.scheme
        if parsed.scheme == "file":
            self.root = Path(unquote(parsed.path))
            self.storage: Storage = DurableFileSystemStorage(
                location=str(self.root), fsync=getattr(settings, "LAKE_FSYNC", True)
            )
            self.prefix = ""
        elif parsed.scheme == "s3":
            from storages.backends.s3 import S3Storage

            self.bucket = parsed.netloc
            self.prefix = parsed.path.strip("/")
            self.storage = S3Storage(
                bucket_name=self.bucket,
                location=self.prefix,
                endpoint_url=settings.AWS_S3_ENDPOINT_URL,
                access_key=settings.AWS_ACCESS_KEY_ID,
                secret_key=settings.AWS_SECRET_ACCESS_KEY,
                region_name=settings.AWS_S3_REGION_NAME,
                file_overwrite=True,  # write-once is enforced by If-None-Match below
                default_acl=None,
                querystring_auth=True,
            )
        else:
            raise LakeError(f"LAKE_URL must be file:///path or s3://bucket/prefix, not {url!r}")

    # -- writing ----------------------------------------------------------------------------
    def write(self, key: str, data: bytes, *, content_type: str | None = None) -> LakeObject:
        digest = hashlib.sha256(data).hexdigest()
        try:
            if self.scheme == "s3":
                self._s3_put_once(key, data, content_type)
            else:
                self.storage.save(key, ContentFile(data))
        except LakeKeyExists:
            raise
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise LakeKeyExists(key) from exc
            raise LakeUnavailable(f"lake write failed for {key}: {exc}") from exc
        except Exception as exc:  # botocore errors: endpoint down, access denied, ...
            if _is_precondition_failed(exc):
                raise LakeKeyExists(key) from exc
            raise LakeUnavailable(f"lake write failed for {key}: {exc}") from exc
        return LakeObject(key=key, sha256=digest, size=len(data))

    def stage(self, key: str, data: bytes, *, content_type: str | None = None) -> StagedObject:
        """The object, to be written and made durable later together with others, by
        `lake.staging.commit_staged` (the accept path's group). Where the lake cannot stage (S3,
        fsync off, no O_TMPFILE) the object is written at once and comes back already committed.
        """
        from lake.staging import StagedObject, open_unnamed

        global _tmpfile_supported
        storage = self.storage
        stageable = _tmpfile_supported is not False and _proc_fd_links()
        if self.scheme == "file" and getattr(storage, "fsync", False) and stageable:
            path = Path(storage.path(key))  # safe_join: a key cannot leave the lake's root
            if _tmpfile_supported is None:
                # Once per process: whether this file system takes O_TMPFILE at all.
                try:
                    probe = open_unnamed(path.parent)
                except OSError as exc:
                    raise LakeUnavailable(f"lake write failed for {key}: {exc}") from exc
                _tmpfile_supported = probe is not None
                if probe is not None:
                    os.close(probe)
            if _tmpfile_supported:
                obj = LakeObject(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
                return StagedObject(obj, data=data, path=path)
        return StagedObject(self.write(key, data, content_type=content_type))

    def _s3_put_once(self, key: str, data: bytes, content_type: str | None) -> None:
        client = self.storage.connection.meta.client  # type: ignore[attr-defined]
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        client.put_object(
            Bucket=self.bucket,
            Key=self._full_key(key),
            Body=data,
            IfNoneMatch="*",
            ChecksumSHA256=_b64_sha256(data),
            **extra,
        )

    def write_json(self, key: str, payload: dict[str, Any]) -> LakeObject:
        body = json.dumps(payload, indent=2, sort_keys=True, default=str).encode()
        return self.write(key, body, content_type="application/json")

    def quarantine(
        self, *, source: str, data: bytes, reason: str, name: str, details: dict[str, Any] | None = None
    ) -> LakeObject:
        """Keep rejected input, with the reason beside it, under quarantine/."""
        now = datetime.now(UTC)
        key = f"quarantine/{source}/{_partition(now)}/{now:%Y%m%dT%H%M%S}Z_{uuid.uuid4()}_{name}"
        obj = self.write(key, data)
        self.write_json(
            f"{key}.reason.json",
            {"reason": reason, "source": source, "at": now.isoformat(), "sha256": obj.sha256, **(details or {})},
        )
        return obj

    # -- reading ----------------------------------------------------------------------------
    def read(self, key: str) -> bytes:
        try:
            with self.storage.open(key, "rb") as handle:
                return handle.read()
        except FileNotFoundError as exc:
            raise LakeObjectMissing(key) from exc
        except OSError as exc:
            raise LakeUnavailable(f"lake read failed for {key}: {exc}") from exc
        except Exception as exc:
            if _is_not_found(exc):
                raise LakeObjectMissing(key) from exc
            raise LakeUnavailable(f"lake read failed for {key}: {exc}") from exc

    def open(self, key: str) -> Any:
        """A binary file object for streaming large objects (call-log files)."""
        try:
            return self.storage.open(key, "rb")
        except FileNotFoundError as exc:
            raise LakeObjectMissing(key) from exc

    def exists(self, key: str) -> bool:
        return bool(self.storage.exists(key))

    def size(self, key: str) -> int:
        return int(self.storage.size(key))

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix`, sorted, as lake keys (without the S3 prefix)."""
        prefix = prefix.strip("/")
        if self.scheme == "s3":
            client = self.storage.connection.meta.client  # type: ignore[attr-defined]
            paginator = client.get_paginator("list_objects_v2")
            full = self._full_key(prefix) + "/"
            strip = len(self.prefix) + 1 if self.prefix else 0
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", []):
                    yield item["Key"][strip:]
            return
        base = self.root / prefix
        if base.is_file():
            yield prefix
            return
        if not base.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for filename in sorted(filenames):
                if filename.startswith("."):
                    continue  # half-written temporary files
                yield str(Path(dirpath, filename).relative_to(self.root))

    def delete(self, key: str) -> None:
        """Only for tests and for objects the lake itself created by mistake; raw data is never deleted."""
        self.storage.delete(key)

    def check_writable(self) -> None:
        """Raise LakeUnavailable unless a probe object can be written (readiness)."""
        key = f"_health/{uuid.uuid4()}.probe"
        self.write(key, b"ok")
        try:
            self.storage.delete(key)
        except Exception as exc:  # a probe left behind is harmless, but say so
            logger.info("lake probe %s left behind: %s", key, exc)

    def _full_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key


def _b64_sha256(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _is_precondition_failed(exc: Exception) -> bool:
    return _error_code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}


def _is_not_found(exc: Exception) -> bool:
    return _error_code(exc) in {"NoSuchKey", "404", "NotFound"}


@lru_cache(maxsize=4)
def _lake_for(url: str) -> Lake:
    return Lake(url)


def get_lake() -> Lake:
    """The configured lake; one instance per process and LAKE_URL."""
    return _lake_for(settings.LAKE_URL)


def reset_lake_cache() -> None:
    _lake_for.cache_clear()
