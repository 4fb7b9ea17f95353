"""The data lake: raw payloads as received, write-once, partitioned by source and time."""

from lake.staging import StagedObject, commit_staged
from lake.storage import (
    Lake,
    LakeError,
    LakeKeyExists,
    LakeObject,
    LakeObjectMissing,
    LakeUnavailable,
    get_lake,
    raw_key,
    reset_lake_cache,
)

__all__ = [
    "Lake",
    "LakeError",
    "LakeKeyExists",
    "LakeObject",
    "LakeObjectMissing",
    "LakeUnavailable",
    "StagedObject",
    "commit_staged",
    "get_lake",
    "raw_key",
    "reset_lake_cache",
]
