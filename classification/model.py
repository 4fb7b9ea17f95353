"""INTERIM (replaced by the classifier work): every message is passed on as a complaint, fields empty."""

from __future__ import annotations

from classification.services import Prediction


class _Unclassified:
    def predict(self, texts: list[str]) -> list[Prediction]:
        return [
            Prediction(
                is_complaint=True,
                not_complaint_reason="",
                complaint_confidence=0.0,
                category="",
                category_confidence=0.0,
                urgent=False,
                model_version="",
            )
            for _ in texts
        ]


def get_classifier() -> _Unclassified:
    return _Unclassified()
