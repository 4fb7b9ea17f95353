"""Small readers for providers' JSON: a missing or mistyped field becomes a PayloadError whose
message names the field's path (entry[0].messaging[1].message.mid), which is what the 400 and
the quarantine reason say."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ingestion.adapters.base import PayloadError
from ingestion.timeparse import TimeParseError, from_epoch


def load_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadError("the JSON body is not an object")
    return data


def obj(parent: dict[str, Any], key: str, path: str, *, required: bool = True) -> dict[str, Any]:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{path}.{key} {'is missing' if value is None else 'must be an object'}")
    return value


def items(parent: dict[str, Any], key: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    """The objects of an optional list, each with its path; a non-list or a non-object item is an error."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{path}.{key} must be a list")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PayloadError(f"{path}.{key}[{index}] must be an object")
        out.append((f"{path}.{key}[{index}]", item))
    return out


def text(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
    """A string (ids may come as numbers: they are turned into strings, exactly)."""
    value = parent.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{path}.{key} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PayloadError(f"{path}.{key} must be a string")
    return str(value)


def epoch(value: object, path: str) -> datetime:
    """Epoch seconds or milliseconds, as a number or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PayloadError(f"{path} is not a timestamp")
    try:
        return from_epoch(value)
    except TimeParseError as exc:
        raise PayloadError(f"{path}: {exc}") from exc
