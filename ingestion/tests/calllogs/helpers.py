"""Helpers for the call-log tests: fixture files, dropping files into the inbox, a stand-in classifier.

The classifier is built in parallel and its verdicts will change as it is retrained, so the job's
tests route with a small keyword classifier that honours the same interface (`classify_texts`)
and records what it was asked: the tests assert what the job does with verdicts, and which text
it sends, not how good the model is. One test per area runs the real `classify_texts`.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

from classification.services import Prediction
from lake import Lake

FIXTURES = Path(__file__).resolve().parent
INBOX = "inbox/call_center"
LONDON = "Europe/London"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def drop(lake: Lake, name: str, data: bytes, *, gzipped: bool = False) -> str:
    """Put a file in the inbox the way the call-centre system does: replacing any file of that name."""
    key = f"{INBOX}/{name}"
    body = gzip.compress(data) if gzipped else data
    if lake.scheme == "s3":
        client = lake.storage.connection.meta.client  # type: ignore[attr-defined]
        client.put_object(Bucket=lake.bucket, Key=f"{lake.prefix}/{key}" if lake.prefix else key, Body=body)
    else:
        path = lake.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return key


COMPLAINT_WORDS = ("charged", "refund", "broken", "late", "down since", "has not come", "cancel")


class KeywordClassifier:
    """`classify_texts` with fixed rules; remembers every batch it was given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.fail_on_batch: int | None = None

    @property
    def texts(self) -> list[str]:
        return [text for batch in self.batches for text in batch]

    def __call__(self, texts: Sequence[str]) -> list[Prediction]:
        if self.fail_on_batch is not None and len(self.batches) + 1 == self.fail_on_batch:
            self.fail_on_batch = None
            raise RuntimeError("simulated crash in the middle of the file")
        self.batches.append(list(texts))
        return [self._predict(text) for text in texts]

    def _predict_all(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._predict(text) for text in texts]

    @staticmethod
    def _predict(text: str) -> Prediction:
        lowered = text.lower()
        if any(word in lowered for word in COMPLAINT_WORDS):
            return Prediction(
                is_complaint=True,
                not_complaint_reason="",
                complaint_confidence=0.9,
                category="billing",
                category_confidence=0.8,
                urgent=False,
                model_version="keyword-test-1",
            )
        return Prediction(
            is_complaint=False,
            not_complaint_reason="question" if "?" in text else "praise",
            complaint_confidence=0.1,
            category="",
            category_confidence=0.0,
            urgent=False,
            model_version="keyword-test-1",
        )
