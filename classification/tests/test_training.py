"""Training is deterministic for a seed, and a saved model answers exactly as it did in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classification.artifact import load_version, promote, save_version
from classification.corpus import LabelledText, split_rows, task_examples
from classification.model import Classifier
from classification.tests.conftest import tiny_rows
from classification.training import TrainConfig, train_task_model

SMALL = TrainConfig(
    architecture="ensemble", width=16, depth=1, embed_rows=500, hash_length=2**14, epochs=3, patience=3, seed=7
)


def _train(task: str, config: TrainConfig = SMALL):  # type: ignore[no-untyped-def]
    parts = split_rows(tiny_rows())
    return train_task_model(
        task_examples(parts["train"], task), task_examples(parts["dev"], task), task=task, config=config
    )


def test_the_same_seed_gives_the_same_model_and_the_same_scores() -> None:
    first, second = _train("complaint"), _train("complaint")
    texts = [row.text for row in tiny_rows()]
    assert np.array_equal(first.model.scores(texts)[1], second.model.scores(texts)[1])
    component = "textcat_complaint"
    assert first.model.nlp.get_pipe(component).model.to_bytes() == second.model.nlp.get_pipe(component).model.to_bytes()
    assert first.history == second.history


def test_another_seed_gives_another_model() -> None:
    first = _train("complaint")
    other = _train("complaint", TrainConfig(**{**SMALL.to_dict(), "seed": 8}))
    texts = [row.text for row in tiny_rows()]
    assert not np.array_equal(first.model.scores(texts)[1], other.model.scores(texts)[1])


def test_the_complaint_model_learns_the_reason_beside_complaint_or_not() -> None:
    model = _train("complaint").model
    assert model.labels == ["complaint", "not_complaint"]
    assert model.fine_labels == ["complaint", "not_complaint:praise", "not_complaint:question"]
    assert model.decision.kind == "binary" and model.decision.positive == "complaint"


def test_a_small_model_round_trips_to_disk_with_identical_predictions(tmp_path: Path) -> None:
    complaint, category = _train("complaint").model, _train("category").model
    version_dir = save_version(
        tmp_path,
        models={"complaint": complaint, "category": category},
        task_meta={"complaint": {"data_hash": "x"}, "category": {"data_hash": "y"}},
        fingerprint="abc12345",
    )
    promote(tmp_path, version_dir.name)

    meta, loaded = load_version(version_dir)
    texts = [row.text for row in tiny_rows()] + ["", "🙃", "a completely unseen sentence about nothing"]
    for task, original in (("complaint", complaint), ("category", category)):
        assert loaded[task].labels == original.labels
        assert loaded[task].decision == original.decision
        assert np.array_equal(loaded[task].scores(texts)[1], original.scores(texts)[1])
    assert meta["tasks"]["complaint"]["data_hash"] == "x"

    classifier = Classifier.load(tmp_path)
    predictions = classifier.predict(texts)
    assert {p.model_version for p in predictions} == {version_dir.name}
    for text, p in zip(texts, predictions, strict=True):
        expected_complaint = complaint.predict([text])[0] == "complaint"
        assert p.is_complaint == expected_complaint
        if p.is_complaint:
            assert p.category == category.predict([text])[0] and p.not_complaint_reason == ""
        else:
            assert p.category == "" and p.not_complaint_reason in {"praise", "question"}


def test_refit_trains_on_dev_too_for_the_chosen_epochs_and_stays_deterministic() -> None:
    bow = TrainConfig(architecture="bow", hash_length=2**14, epochs=4, patience=4, seed=7)
    refit_a, refit_b = _train("complaint", bow), _train("complaint", bow)
    plain = _train("complaint", TrainConfig(**{**bow.to_dict(), "refit": False}))
    component = "textcat_complaint"
    weights = [r.model.nlp.get_pipe(component).model.to_bytes() for r in (refit_a, refit_b, plain)]
    assert weights[0] == weights[1] and weights[0] != weights[2]
    assert refit_a.model.info["refit"] is True and plain.model.info["refit"] is False
    # Same selection pass, so the same chosen epoch, decision rule and held-out dev report.
    assert refit_a.best_epoch == plain.best_epoch and refit_a.model.decision == plain.model.decision
    assert refit_a.dev_report == plain.dev_report


def test_the_addressed_handle_is_learnt_beside_the_placeholder() -> None:
    # Complaints go to the support desk, everything else to a friend: the handle predicts the label.
    rows = [
        LabelledText(("@AcmeHelp " if r.label == "complaint" else "@MyFriend ") + r.text, r.label, reason=r.reason)
        for r in tiny_rows()
    ]
    parts = split_rows(rows)
    bow = TrainConfig(architecture="bow", hash_length=2**14, epochs=4, patience=4, seed=7, refit=False)

    def p_complaint(config: TrainConfig) -> list[float]:
        train, dev = task_examples(parts["train"], "complaint"), task_examples(parts["dev"], "complaint")
        model = train_task_model(train, dev, task="complaint", config=config).model
        scores = model.scores(["@AcmeHelp hello there", "@MyFriend hello there"])[0]
        return [float(row[model.labels.index("complaint")]) for row in scores]

    to_desk, to_friend = p_complaint(bow)
    assert to_desk > to_friend + 0.05
    # Without the identity features both texts are "xxuser hello there" to the model.
    plain_desk, plain_friend = p_complaint(TrainConfig(**{**bow.to_dict(), "identity_features": False}))
    assert plain_desk == plain_friend
