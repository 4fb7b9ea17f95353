"""The figures are checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from classification.metrics import binary_auc, classification_report


def test_binary_report_matches_the_hand_computed_figures() -> None:
    gold = ["complaint", "complaint", "complaint", "not_complaint", "not_complaint", "not_complaint"]
    predicted = ["complaint", "complaint", "not_complaint", "complaint", "not_complaint", "not_complaint"]
    # complaint: TP 2, FP 1, FN 1 -> P 2/3, R 2/3, F1 2/3; not_complaint the same by symmetry.
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    report = classification_report(
        gold, predicted, labels=["complaint", "not_complaint"], scores=scores, positive="complaint"
    )
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["per_class"]["complaint"] == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3}
    )
    assert report["macro_f1"] == pytest.approx(2 / 3)
    # Positive scores 0.9, 0.8, 0.3 against negatives 0.6, 0.2, 0.3: of the 9 pairs, 0.9 and 0.8 win
    # all 3 (6), 0.3 beats 0.2 (1) and ties 0.3 (1/2) -> 7.5 / 9.
    assert report["auc"] == pytest.approx(7.5 / 9)


def test_macro_f1_is_the_unweighted_mean_over_classes() -> None:
    gold = ["a", "a", "a", "a", "b", "c"]
    predicted = ["a", "a", "a", "a", "a", "c"]
    report = classification_report(gold, predicted, labels=["a", "b", "c"])
    # a: P 4/5, R 1, F1 8/9; b: 0; c: 1.
    assert report["per_class"]["a"]["f1"] == pytest.approx(8 / 9)
    assert report["per_class"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx((8 / 9 + 0 + 1) / 3)
    assert report["accuracy"] == pytest.approx(5 / 6)


def test_auc_is_none_when_one_class_is_missing_and_one_for_a_perfect_ranking() -> None:
    assert binary_auc([0.1, 0.9], [True, True]) is None
    assert binary_auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert binary_auc([0.5, 0.5], [True, False]) == 0.5
