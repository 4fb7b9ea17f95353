"""Promotion only when dev macro-F1 is not worse; agents' corrections join the training data."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from classification.artifact import CURRENT, VERSIONS, read_meta
from classification.corpus import read_labelled_file, text_key
from classification.lifecycle import classifier_train, split_with_feedback
from classification.services import feedback_record
from classification.training import TrainConfig

TINY = TrainConfig(architecture="bow", epochs=8, patience=2, hash_length=2**14, seed=3, learn_rate=0.01)
UNTRAINED = TrainConfig(architecture="bow", epochs=1, patience=1, hash_length=2**14, learn_rate=0.0, seed=3)


def _current(root: Path) -> str:
    return (root / CURRENT).read_text().strip()


def test_a_model_is_promoted_when_not_worse_and_kept_out_when_worse(tmp_path: Path, tiny_csv: Path) -> None:
    root = tmp_path / "models"
    first = classifier_train(data=tiny_csv, out=root, config=TINY)
    assert first.promoted and _current(root) == first.version
    assert first.tasks["complaint"].current_dev_macro_f1 is None  # nothing to compare with

    # Same data, same seed: equal dev macro-F1 is "not worse", so the new version is promoted.
    same = classifier_train(data=tiny_csv, out=root, config=TINY)
    assert same.tasks["complaint"].current_dev_macro_f1 == same.tasks["complaint"].dev["macro_f1"] == 1.0
    assert same.promoted and _current(root) == same.version

    # A model that learnt nothing scores worse on the same dev split: saved, but not promoted.
    worse = classifier_train(data=tiny_csv, out=root, config=UNTRAINED)
    assert not worse.promoted
    assert "not promoted" in worse.reason and "complaint dev macro-F1" in worse.reason
    assert _current(root) == same.version
    assert (root / VERSIONS / worse.version).is_dir()


def test_training_one_task_keeps_the_other_from_the_current_model(tmp_path: Path, tiny_csv: Path) -> None:
    root = tmp_path / "models"
    first = classifier_train(data=tiny_csv, out=root, config=TINY)
    second = classifier_train(data=tiny_csv, out=root, tasks=("complaint",), config=TINY)
    meta = read_meta(second.path)
    assert set(meta["tasks"]) == {"complaint", "category"}
    assert meta["tasks"]["category"]["reused_from"] == first.version
    assert second.promoted


def test_the_artifact_records_metrics_config_and_the_training_data_hash(tmp_path: Path, tiny_csv: Path) -> None:
    outcome = classifier_train(data=tiny_csv, out=tmp_path, config=TINY)
    info = read_meta(outcome.path)["tasks"]["complaint"]
    assert info["data_hash"] == outcome.tasks["complaint"].data_hash and len(info["data_hash"]) == 64
    assert info["config"]["seed"] == 3
    assert set(info["metrics"]) == {"dev", "test"} and info["metrics"]["dev"]["macro_f1"] == 1.0
    assert info["counts"] == {"train": 52, "dev": 4, "test": 4}


@pytest.mark.django_db
def test_corrections_replace_their_rows_and_new_texts_join_train(tiny_csv: Path) -> None:
    rows = read_labelled_file(tiny_csv)
    praise = next(r for r in rows if r.reason == "praise")
    feedback_record(text=praise.text, task="complaint", label="complaint", previous_label="not_complaint")
    feedback_record(text=praise.text, task="category", label="billing")
    feedback_record(text="zorblax gizmo charged me twice", task="category", label="billing")
    feedback_record(text="how late is the zorblax open", task="complaint", label="not_complaint", reason="question")

    parts, count = split_with_feedback(rows, include_feedback=True)
    assert count == 3
    everything = {text_key(r.text): (name, r) for name, part in parts.items() for r in part}
    _, corrected = everything[text_key(praise.text)]
    assert (corrected.label, corrected.category, corrected.reason, corrected.origin) == (
        "complaint",
        "billing",
        "",
        "feedback",
    )
    assert everything[text_key("zorblax gizmo charged me twice")][0] == "train"
    name, question = everything[text_key("how late is the zorblax open")]
    assert name == "train" and (question.label, question.reason) == ("not_complaint", "question")
    assert sum(len(p) for p in parts.values()) == len(rows) + 2

    plain, none = split_with_feedback(rows, include_feedback=False)
    assert none == 0 and sum(len(p) for p in plain.values()) == len(rows)


@pytest.mark.django_db
def test_train_classifier_include_feedback_trains_on_corpus_plus_corrections(tmp_path: Path, tiny_csv: Path) -> None:
    without = classifier_train(data=tiny_csv, out=tmp_path / "a", config=TINY)
    feedback_record(text="zorblax gizmo charged me twice", task="category", label="billing")
    call_command(
        "train_classifier",
        data=str(tiny_csv),
        out=str(tmp_path / "b"),
        include_feedback=True,
        fast=True,
        config='{"epochs": 4, "hash_length": 16384, "seed": 3}',
    )
    meta = read_meta(tmp_path / "b" / VERSIONS / _current(tmp_path / "b"))
    for task in ("complaint", "category"):
        assert meta["tasks"][task]["feedback_rows"] == 1
        assert meta["tasks"][task]["data_hash"] != without.tasks[task].data_hash
    assert meta["tasks"]["category"]["counts"]["train"] == without.tasks["category"].n_train + 1


def test_a_refitted_current_model_is_compared_with_the_new_model_as_shipped(tmp_path: Path, tiny_csv: Path) -> None:
    root = tmp_path / "models"
    held_out = TrainConfig(**{**TINY.to_dict(), "refit": False})
    first = classifier_train(data=tiny_csv, out=root, config=held_out)
    assert read_meta(first.path)["tasks"]["complaint"]["refit"] is False
    # The current model never saw dev: the new one is judged on its held-out dev figure.
    second = classifier_train(data=tiny_csv, out=root, config=TINY)
    outcome = second.tasks["complaint"]
    assert outcome.dev_macro_f1_compared == outcome.dev["macro_f1"]
    assert read_meta(second.path)["tasks"]["complaint"]["refit"] is True
    # Now the current model was refitted on dev: both are scored as shipped, and a model that
    # learnt nothing still loses.
    worse = classifier_train(data=tiny_csv, out=root, config=UNTRAINED)
    assert worse.tasks["complaint"].dev_macro_f1_compared is not None
    assert not worse.promoted and _current(root) == second.version
