"""The contract every source adapter fulfils.

An adapter is a pure function of the raw bytes (plus the headers and meta the edge recorded):
it never touches the database or the network, so a replay of the lake yields the same messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class PayloadError(ValueError):
    """The payload is malformed; the message says what is wrong (it reaches the 400 and the quarantine)."""


@dataclass(frozen=True)
class Attachment:
    content_type: str = ""
    url: str = ""  # the provider's URL, kept as given; never fetched in a request
    lake_key: str = ""  # where our own copy lives, when we have one
    filename: str = ""
    size: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


@dataclass
class InboundMessage:
    source: str
    channel: str
    provider: str
    external_id: str  # with `source`, the de-duplication key
    text: str
    occurred_at: datetime  # aware, UTC
    customer_handle: str = ""
    customer_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    customer_category: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawInput:
    """What an adapter gets: the bytes as received and what the edge recorded beside them."""

    body: bytes
    received_at: datetime
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    raw_event_id: str = ""


class Adapter(Protocol):
    def __call__(self, raw: RawInput) -> list[InboundMessage]: ...


_REGISTRY: dict[str, Callable[[RawInput], list[InboundMessage]]] = {}


Parse = Callable[[RawInput], list[InboundMessage]]


def register(provider: str) -> Callable[[Parse], Parse]:
    def decorator(func: Parse) -> Parse:
        _REGISTRY[provider] = func
        return func

    return decorator


def registered_providers() -> list[str]:
    """Every provider an adapter is registered for, sorted."""
    import ingestion.adapters.registry  # noqa: F401  (importing it registers every adapter)

    return sorted(_REGISTRY)


def get_adapter(provider: str) -> Callable[[RawInput], list[InboundMessage]]:
    # Importing the package modules registers every adapter.
    import ingestion.adapters.registry  # noqa: F401

    try:
        return _REGISTRY[provider]
    except KeyError:
        raise LookupError(f"no adapter for provider {provider!r}") from None
