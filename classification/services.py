"""The classifier's interface to the rest of the system.

`classify_texts` is what the pipeline calls; it knows no source and no UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prediction:
    is_complaint: bool
    not_complaint_reason: str  # "" for complaints; spam | joke | praise | question | other
    complaint_confidence: float
    category: str  # a taxonomy slug; "" for non-complaints
    category_confidence: float
    urgent: bool
    model_version: str
    urgency_reasons: tuple[str, ...] = field(default_factory=tuple)


def classify_texts(texts: Sequence[str]) -> list[Prediction]:
    """Classify a batch (through nlp.pipe). Replaced by the trained pipeline in classification/model.py."""
    from classification.model import get_classifier

    return get_classifier().predict(list(texts))
