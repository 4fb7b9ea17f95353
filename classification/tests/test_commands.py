"""The commands as a user runs them: train_classifier, evaluate_classifier, ensure_classifier."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from classification.artifact import CURRENT, META, resolve_version_dir

TINY = '{"epochs": 8, "hash_length": 16384, "seed": 3, "learn_rate": 0.01}'


def run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def tiny_model(tmp_path: Path, tiny_csv: Path) -> Path:
    root = tmp_path / "models"
    run("train_classifier", data=str(tiny_csv), out=str(root), fast=True, config=TINY)
    return root


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def test_evaluate_reports_the_hand_checked_figures(tmp_path: Path, tiny_model: Path) -> None:
    # Two clear complaints, a clear praise text labelled "complaint" on purpose (the model will say
    # not_complaint) and the same praise text twice, rightly labelled not_complaint.
    praise = "thank you lovely service"
    data = _write(
        tmp_path / "eval.csv",
        [
            ("charged twice for my bill again", "complaint"),
            ("parcel never arrived again", "complaint"),
            (praise, "complaint"),
            (praise, "not_complaint"),
            (praise, "not_complaint"),
        ],
    )
    report = json.loads(run("evaluate_classifier", data=str(data), task="complaint", model=str(tiny_model), json=True))
    assert set(report) >= {"accuracy", "macro_f1", "auc", "per_class", "words_per_second"}
    assert report["accuracy"] == pytest.approx(4 / 5)
    # complaint: TP 2, FN 1, FP 0 -> P 1, R 2/3, F1 0.8; not_complaint: TP 2, FP 1 -> P 2/3, R 1, F1 0.8.
    assert report["per_class"]["complaint"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    )
    assert report["per_class"]["not_complaint"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert report["macro_f1"] == pytest.approx(0.8)
    # Positives score high, high and p(praise); negatives p(praise) twice: 4 wins + 2 ties of 6 pairs.
    assert report["auc"] == pytest.approx(5 / 6)
    assert report["words_per_second"] > 0
    assert report["model_version"] == (tiny_model / CURRENT).read_text().strip()


def test_cross_validation_with_the_baseline_gives_both_sets_of_figures(tiny_csv: Path) -> None:
    report = json.loads(
        run(
            "evaluate_classifier",
            data=str(tiny_csv),
            task="complaint",
            cv=3,
            baseline=True,
            json=True,
            fast=True,
            config=TINY,
        )
    )
    for figures in (report, report["baseline"]):
        assert set(figures) >= {"accuracy", "macro_f1", "auc", "per_class"}
        assert 0.0 <= figures["macro_f1"] <= 1.0 and 0.0 <= figures["auc"] <= 1.0
        assert set(figures["per_class"]) == {"complaint", "not_complaint"}
        assert len(figures["folds"]) == 3
        assert figures["per_class"]["complaint"]["support"] == 30
    assert report["words_per_second"] > 0


def test_cross_validation_of_categories_reports_one_vs_rest_auc(tiny_csv: Path) -> None:
    report = json.loads(
        run("evaluate_classifier", data=str(tiny_csv), task="category", cv=2, json=True, fast=True, config=TINY)
    )
    assert set(report["per_class"]) == {"billing", "delivery"}
    assert report["auc"] is not None and "baseline" not in report


def test_evaluate_on_the_fixed_test_split_can_compare_with_the_baseline(tiny_csv: Path, tiny_model: Path) -> None:
    report = json.loads(
        run(
            "evaluate_classifier",
            data=str(tiny_csv),
            task="category",
            model=str(tiny_model),
            split="test",
            baseline=True,
            json=True,
        )
    )
    assert report["n"] == 2 and report["baseline"]["n"] == 2


def test_a_file_apart_from_the_corpus_is_compared_with_a_baseline_trained_on_the_corpus(
    tmp_path: Path, tiny_model: Path
) -> None:
    # Texts written for this test, in no corpus file: the baseline learns from the corpus's train
    # and dev parts (what the shipped model was fitted on) and is scored on the file.
    data = _write(
        tmp_path / "apart.csv",
        [
            ("you have taken my direct debit three times this month and nobody answers the phone", "complaint"),
            ("the courier left my parcel in the rain and the box is soaked through", "complaint"),
            ("what time does the Cardiff shop shut on a Sunday?", "not_complaint"),
            ("thank you so much, the new router is brilliant", "not_complaint"),
        ],
    )
    report = json.loads(
        run("evaluate_classifier", data=str(data), task="complaint", model=str(tiny_model), baseline=True, json=True)
    )
    assert report["n"] == 4 and report["baseline"]["n"] == 4
    assert report["baseline"]["accuracy"] >= 0.75  # trained on thousands of corpus rows, not on these 4


def test_the_corpus_baseline_refuses_a_file_that_shares_texts_with_the_corpus(tmp_path: Path, tiny_model: Path) -> None:
    from classification.corpus import corpus_rows

    known = corpus_rows()[0]
    data = _write(tmp_path / "leaky.csv", [(known.text, known.label), ("a text of its own, never seen", "complaint")])
    options = {"data": str(data), "task": "complaint", "model": str(tiny_model), "baseline": True}
    with pytest.raises(CommandError, match="apart from the corpus"):
        run("evaluate_classifier", **options)
    with pytest.raises(CommandError, match="did not train on"):
        run("evaluate_classifier", split="train", **options)


def test_evaluate_refuses_labels_the_model_does_not_know(tmp_path: Path, tiny_model: Path) -> None:
    data = _write(tmp_path / "odd.csv", [("hello", "maybe")])
    with pytest.raises(CommandError, match="labels the model does not know: maybe"):
        run("evaluate_classifier", data=str(data), task="complaint", model=str(tiny_model))


def test_evaluate_without_a_model_says_what_to_run(tmp_path: Path, tiny_csv: Path) -> None:
    with pytest.raises(CommandError, match="train_classifier"):
        run("evaluate_classifier", data=str(tiny_csv), task="complaint", model=str(tmp_path / "none"))


def test_a_bad_data_file_is_a_clear_error_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,complaint\n,complaint\n")
    with pytest.raises(CommandError, match=r"bad.csv:3: a row needs both text and label"):
        run("train_classifier", data=str(bad), out=str(tmp_path / "m"), fast=True)
    missing = tmp_path / "cols.csv"
    missing.write_text("message,tag\nhi,complaint\n")
    with pytest.raises(CommandError, match="text and label"):
        run("evaluate_classifier", data=str(missing), task="complaint", cv=2)


def test_ensure_classifier_trains_once_then_does_nothing(tmp_path: Path, tiny_csv: Path) -> None:
    root = tmp_path / "models"
    first = run("ensure_classifier", out=str(root), data=str(tiny_csv), fast=True, config=TINY)
    assert "trained and promoted" in first
    version = (root / CURRENT).read_text().strip()

    second = run("ensure_classifier", out=str(root), data=str(tiny_csv), fast=True, config=TINY)
    assert f"classifier {version} is ready" in second
    assert (root / CURRENT).read_text().strip() == version


def test_ensure_classifier_replaces_a_corrupt_model(tmp_path: Path, tiny_csv: Path, tiny_model: Path) -> None:
    broken = resolve_version_dir(tiny_model)
    (broken / META).write_text("garbage")
    output = run("ensure_classifier", out=str(tiny_model), data=str(tiny_csv), fast=True, config=TINY)
    assert "trained and promoted" in output
    assert (tiny_model / CURRENT).read_text().strip() != broken.name
