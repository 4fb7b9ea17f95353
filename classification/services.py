"""The classifier's interface to the rest of the system.

`classify_texts` is what the pipeline calls; it knows no source and no UI.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models load with Django's apps; this module is imported before that
    from django.contrib.auth.models import User

    from classification.models import Feedback


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
    import time

    import metrics
    from classification.model import get_classifier

    started = time.perf_counter()
    predictions = get_classifier().predict(list(texts))
    metrics.observe_classifier(seconds=time.perf_counter() - started, texts=len(predictions))
    return predictions


def feedback_record(
    *,
    text: str,
    task: str,
    label: str,
    previous_label: str = "",
    reason: str = "",
    model_version: str = "",
    message_id: uuid.UUID | str | None = None,
    complaint_id: uuid.UUID | str | None = None,
    user: User | None = None,
) -> Feedback:
    """Store an agent's correction (dismissed as not a complaint, promoted, or relabelled)."""
    from classification.models import Feedback

    return Feedback.objects.create(
        text=text,
        task=task,
        label=label,
        previous_label=previous_label,
        reason=reason,
        model_version=model_version,
        message_id=message_id,
        complaint_id=complaint_id,
        created_by=user if getattr(user, "pk", None) else None,
    )


def categories_ensure_defaults() -> int:
    """Create any default category that is missing (the data migration does this too). Returns how many."""
    from classification.models import Category
    from classification.taxonomy import DEFAULT_CATEGORIES

    created = 0
    for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES, start=1):
        _, was_created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position * 10}
        )
        created += int(was_created)
    return created
