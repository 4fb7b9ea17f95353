"""The reference linear model the spaCy pipeline has to beat.

A standard, untuned-by-us TF-IDF + logistic regression: word 1-2-grams and character 2-5-grams
within word boundaries, sublinear TF, each block L2-normalised (scikit-learn's defaults otherwise),
and LogisticRegression(C=1) with the lbfgs solver. It sees the raw text (no normaliser), so that
the comparison measures our whole pipeline against an off-the-shelf one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


class TfidfBaseline:
    def __init__(self, *, seed: int = 0) -> None:
        self.pipeline = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            (
                                "word",
                                TfidfVectorizer(
                                    analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True, min_df=1
                                ),
                            ),
                            (
                                "char",
                                TfidfVectorizer(
                                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True, min_df=1
                                ),
                            ),
                        ]
                    ),
                ),
                ("model", LogisticRegression(C=1.0, max_iter=2000, random_state=seed)),
            ]
        )
        self.labels: list[str] = []

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfBaseline:
        self.pipeline.fit(list(texts), list(labels))
        self.labels = [str(c) for c in self.pipeline.classes_]
        return self

    def scores(self, texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
        """Class probabilities with columns in the order of `labels`."""
        proba = self.pipeline.predict_proba(list(texts))
        out = np.zeros((len(texts), len(labels)), dtype="float32")
        for j, label in enumerate(self.labels):
            if label in labels:
                out[:, list(labels).index(label)] = proba[:, j]
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self.pipeline.predict(list(texts))]
