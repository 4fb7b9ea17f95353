"""Measuring a model: one held-out set, or stratified K-fold cross-validation against the baseline.

Cross-validation trains a fresh pipeline per fold exactly as `train_classifier` does: the fold's
training part is split into fit and dev by the same fixed rule as the corpus (one tenth of every
class to dev, by stable hash), the model is trained on fit with early stopping and a decision rule
tuned on dev, refitted on fit + dev for the chosen epochs (TrainConfig.refit, the default), then
scored on the fold's held-out part. The baseline is fitted on the whole training part of the same
fold (it has nothing to tune), so both end up trained on the same examples. Figures are pooled
over all folds' predictions; per-fold macro-F1 is listed too, so the spread is visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from classification.baseline import TfidfBaseline
from classification.corpus import TaskExample, stable_hash
from classification.metrics import classification_report
from classification.training import TaskModel, TrainConfig, train_task_model


def count_words(texts: Sequence[str]) -> int:
    return sum(len(text.split()) for text in texts)


def evaluate_model(model: TaskModel, examples: Sequence[TaskExample]) -> dict[str, Any]:
    """The model's figures on these examples, and its inference speed in words per second."""
    texts = [e.text for e in examples]
    gold = [e.label for e in examples]
    unknown = sorted(set(gold) - set(model.labels))
    if unknown:
        raise ValueError(f"labels the model does not know: {', '.join(unknown)} (it knows {', '.join(model.labels)})")
    started = time.perf_counter()
    scores, _ = model.scores(texts)
    elapsed = time.perf_counter() - started
    predicted = model.decision.apply(scores, model.labels)
    report = classification_report(
        gold, predicted, labels=model.labels, scores=scores, positive=model.decision.positive or None
    )
    report["words_per_second"] = count_words(texts) / elapsed if elapsed > 0 else None
    return report


def holdout_dev(examples: Sequence[TaskExample]) -> tuple[list[TaskExample], list[TaskExample]]:
    """(fit, dev): one tenth of every class to dev by the corpus split's rule (stable hash order).

    A class too small to reach a tenth still gives its last example, so a small fold keeps every
    class on both sides.
    """
    by_class: dict[str, list[TaskExample]] = {}
    for example in examples:
        by_class.setdefault(f"{example.label}:{example.reason}", []).append(example)
    fit: list[TaskExample] = []
    dev: list[TaskExample] = []
    for group in sorted(by_class):
        ordered = sorted(by_class[group], key=lambda e: stable_hash(e.text))
        for position, example in enumerate(ordered):
            to_dev = position % 10 == 8 or (len(ordered) < 9 and len(ordered) >= 2 and position == len(ordered) - 1)
            (dev if to_dev else fit).append(example)
    return fit, dev


def cross_validate(
    examples: Sequence[TaskExample],
    *,
    task: str,
    folds: int,
    config: TrainConfig,
    baseline: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    if folds < 2:
        raise ValueError("--cv needs at least 2 folds")
    labels = sorted({e.label for e in examples})
    counts = {label: sum(1 for e in examples if e.label == label) for label in labels}
    if min(counts.values()) < folds:
        raise ValueError(f"every class needs at least {folds} examples for {folds}-fold CV: {counts}")
    gold = np.array([e.label for e in examples], dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    n = len(examples)
    ours_pred: list[str] = [""] * n
    ours_scores = np.zeros((n, len(labels)), dtype="float32")
    base_pred: list[str] = [""] * n
    base_scores = np.zeros((n, len(labels)), dtype="float32")
    fold_f1: list[float] = []
    base_fold_f1: list[float] = []
    inference_seconds = 0.0
    words = 0
    positive = ""
    for fold, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(n), gold), start=1):
        train = [examples[i] for i in train_idx]
        test = [examples[i] for i in test_idx]
        fit, dev = holdout_dev(train)
        result = train_task_model(fit, dev, task=task, config=config)
        model = result.model
        texts = [e.text for e in test]
        started = time.perf_counter()
        scores, _ = model.scores(texts)
        inference_seconds += time.perf_counter() - started
        words += count_words(texts)
        predicted = model.decision.apply(scores, model.labels)
        positive = model.decision.positive
        for j, i in enumerate(test_idx):
            ours_pred[i] = predicted[j]
            ours_scores[i] = [
                scores[j, model.labels.index(label)] if label in model.labels else 0.0 for label in labels
            ]
        fold_f1.append(classification_report([e.label for e in test], predicted, labels=labels)["macro_f1"])
        line = f"fold {fold}/{folds}: spaCy macro-F1 {fold_f1[-1]:.4f} (best epoch {result.best_epoch})"
        if baseline:
            reference = TfidfBaseline(seed=config.seed).fit([e.text for e in train], [e.label for e in train])
            bpred = reference.predict(texts)
            bscores = reference.scores(texts, labels)
            for j, i in enumerate(test_idx):
                base_pred[i] = bpred[j]
                base_scores[i] = bscores[j]
            base_fold_f1.append(classification_report([e.label for e in test], bpred, labels=labels)["macro_f1"])
            line += f", baseline {base_fold_f1[-1]:.4f}"
        if log:
            log(line)
    report = classification_report(list(gold), ours_pred, labels=labels, scores=ours_scores, positive=positive or None)
    report["words_per_second"] = words / inference_seconds if inference_seconds > 0 else None
    report["folds"] = fold_f1
    report["macro_f1_mean"] = float(np.mean(fold_f1))
    report["macro_f1_std"] = float(np.std(fold_f1))
    if baseline:
        base = classification_report(
            list(gold), base_pred, labels=labels, scores=base_scores, positive=positive or None
        )
        base["folds"] = base_fold_f1
        base["macro_f1_mean"] = float(np.mean(base_fold_f1))
        base["macro_f1_std"] = float(np.std(base_fold_f1))
        base["model"] = "tfidf word 1-2 + char_wb 2-5, sublinear tf, LogisticRegression(C=1)"
        # Folds where ours did better, for a sign-test-style reading of the difference.
        base["folds_won_by_spacy"] = sum(1 for a, b in zip(fold_f1, base_fold_f1, strict=True) if a > b)
        report["baseline"] = base
    return report
