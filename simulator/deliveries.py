"""What the simulator sends and what it expects back: one Delivery per HTTP request."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from simulator.texts import Utterance


@dataclass(frozen=True)
class Expected:
    """A message that must end up stored exactly once: (source, key) in ingestion's ledger.

    Keys are ingestion's external ids ("<provider>:<the provider's id>"); the form's key is the
    complaint reference, learnt from the confirmation page.
    """

    source: str
    channel: str
    keys: tuple[str, ...]
    utterance: Utterance


@dataclass(frozen=True)
class Delivery:
    """One request as a provider (or browser) would send it.

    kind: valid | duplicate (a byte-identical re-delivery) | malformed (signed, wrong shape: 400)
    | forged (unsigned or wrongly signed: 403).
    """

    provider: str  # twilio | vonage | meta | x | web_form
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expected: tuple[Expected, ...] = ()
    kind: str = "valid"
    form: dict[str, Any] | None = None  # web form fields (sent as multipart with a CSRF token)
    files: tuple[tuple[str, bytes, str], ...] = ()  # (filename, data, content type)
    note: str = ""

    @property
    def expect_statuses(self) -> tuple[int, ...]:
        if self.kind == "malformed":
            return (400,)
        if self.kind == "forged":
            return (403,)
        return (200, 201, 202, 204, 302)

    def as_redelivery(self) -> Delivery:
        return dataclasses.replace(self, kind="duplicate")
