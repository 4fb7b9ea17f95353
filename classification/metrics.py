"""Classification figures, computed here in plain code so that a test can check them by hand.

accuracy; per-class precision, recall, F1 and support; macro-F1 (the unweighted mean of the classes'
F1); ROC AUC (binary: the probability that a random positive scores above a random negative, ties
counting one half; more than two classes: the mean of the one-vs-rest AUCs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def per_class_scores(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return out


def binary_auc(positive_scores: Sequence[float] | np.ndarray, is_positive: Sequence[bool]) -> float | None:
    """Mann-Whitney form of ROC AUC; None when one of the two classes is absent."""
    scores = np.asarray(positive_scores, dtype="float64")
    truth = np.asarray(is_positive, dtype=bool)
    n_pos, n_neg = int(truth.sum()), int((~truth).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    # Average ranks handle ties: a tie between a positive and a negative counts one half.
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype="float64")
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = float(ranks[truth].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def classification_report(
    gold: Sequence[str],
    predicted: Sequence[str],
    *,
    labels: Sequence[str],
    scores: np.ndarray | None = None,
    positive: str | None = None,
) -> dict[str, Any]:
    """accuracy, macro_f1, per_class, auc. `scores` has one column per label, in `labels` order."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    labels = list(labels)
    per_class = per_class_scores(gold, predicted, labels)
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold) if gold else 0.0
    present = [label for label in labels if per_class[label]["support"] > 0]
    macro_f1 = float(np.mean([per_class[label]["f1"] for label in present])) if present else 0.0
    auc: float | None = None
    if scores is not None and len(gold):
        if len(labels) == 2:
            pos = positive if positive in labels else labels[1]
            column = labels.index(pos)
            auc = binary_auc(scores[:, column], [g == pos for g in gold])
        else:
            aucs = [binary_auc(scores[:, i], [g == label for g in gold]) for i, label in enumerate(labels)]
            valid = [a for a in aucs if a is not None]
            auc = float(np.mean(valid)) if valid else None
    return {
        "accuracy": accuracy,
        "macro_f1": macro_f1,
        "auc": auc,
        "per_class": per_class,
        "n": len(gold),
    }
