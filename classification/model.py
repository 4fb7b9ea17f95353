"""The classifier in a running process: loaded once, used for every batch.

`get_classifier()` loads the promoted model (CLASSIFIER_MODEL_DIR/CURRENT) the first time it is
called in a process and keeps it; a worker is restarted to pick up a newly promoted model, the way
any code change is. A missing or unreadable model raises `ClassifierNotReady` (and is not cached),
so a worker started before the first training retries its task until the model exists: there is no
fallback that would quietly pass messages on unclassified.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from django.conf import settings

from classification.artifact import ClassifierNotReady, load_version, resolve_version_dir
from classification.corpus import COMPLAINT
from classification.services import Prediction
from classification.training import FINE_SEP, TaskModel
from classification.urgency import urgency_reasons

logger = logging.getLogger(__name__)

__all__ = ["Classifier", "ClassifierNotReady", "get_classifier", "reset_classifier_cache"]

BATCH_SIZE = 256


class Classifier:
    def __init__(self, *, version: str, complaint: TaskModel, category: TaskModel) -> None:
        self.version = version
        self.complaint = complaint
        self.category = category
        if COMPLAINT not in complaint.labels:
            raise ClassifierNotReady(f"model {version}: the complaint classifier has no 'complaint' class")
        self._pos = complaint.labels.index(COMPLAINT)
        self._reasons = [
            (j, label.split(FINE_SEP, 1)[1]) for j, label in enumerate(complaint.fine_labels) if FINE_SEP in label
        ]

    @classmethod
    def load(cls, path: Path) -> Classifier:
        version_dir = resolve_version_dir(path)
        meta, models = load_version(version_dir)
        return cls(version=str(meta["version"]), complaint=models["complaint"], category=models["category"])

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One pass of nlp.pipe for complaint-or-not, a second over the complaints only for the category."""
        texts = list(texts)
        if not texts:
            return []
        complaint_nlp = self.complaint.nlp
        docs = list(complaint_nlp.pipe(texts, batch_size=BATCH_SIZE))
        fine = [[doc.cats.get(label, 0.0) for label in self.complaint.fine_labels] for doc in docs]
        p_complaint = [
            sum(row[j] for j, label in enumerate(self.complaint.fine_labels) if label == COMPLAINT) for row in fine
        ]
        decision = self.complaint.decision
        is_complaint = (
            [p >= decision.threshold for p in p_complaint]
            if decision.kind == "binary"
            else [
                max(range(len(row)), key=row.__getitem__) == self.complaint.fine_labels.index(COMPLAINT) for row in fine
            ]
        )
        # The category model reads the complaint model's docs: same tokenizer, no second tokenisation.
        complaint_docs = [doc for doc, flag in zip(docs, is_complaint, strict=True) if flag]
        categories: dict[int, tuple[str, float]] = {}
        if complaint_docs:
            pipe = self.category.nlp.get_pipe(self.category.component)
            labelled = list(pipe.pipe(complaint_docs, batch_size=BATCH_SIZE))  # type: ignore[attr-defined]
            scores = np.array(
                [[d.cats.get(label, 0.0) for label in self.category.labels] for d in labelled], dtype="float32"
            )
            chosen = self.category.decision.apply(scores, self.category.labels)
            for doc, label, row in zip(labelled, chosen, scores, strict=True):
                categories[id(doc)] = (label, float(row[self.category.labels.index(label)]))
        out = []
        for text, doc, row, p, flag in zip(texts, docs, fine, p_complaint, is_complaint, strict=True):
            reasons = urgency_reasons(text)
            if flag:
                category, confidence = categories[id(doc)]
                reason = ""
            else:
                category, confidence = "", 0.0
                reason = max(self._reasons, key=lambda item: row[item[0]])[1] if self._reasons else "other"
            out.append(
                Prediction(
                    is_complaint=flag,
                    not_complaint_reason=reason,
                    complaint_confidence=round(float(p), 4),
                    category=category,
                    category_confidence=round(confidence, 4),
                    urgent=bool(reasons),
                    model_version=self.version,
                    urgency_reasons=reasons,
                )
            )
        return out


_lock = threading.Lock()
_cache: dict[str, Classifier] = {}


def get_classifier() -> Classifier:
    """The process's classifier for the configured model directory (loaded on first use)."""
    root = str(Path(settings.CLASSIFIER_MODEL_DIR).resolve())
    classifier = _cache.get(root)
    if classifier is not None:
        return classifier
    with _lock:
        classifier = _cache.get(root)
        if classifier is None:
            classifier = Classifier.load(Path(root))
            logger.info("classifier %s loaded from %s", classifier.version, root)
            _cache.clear()  # one model per process: a changed setting (tests) replaces it
            _cache[root] = classifier
    return classifier


def reset_classifier_cache() -> None:
    with _lock:
        _cache.clear()
