"""A missing or broken model is a clear error that names the command to run, never a silent fallback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from classification.artifact import CURRENT, META, VERSIONS, resolve_version_dir
from classification.errors import ClassifierNotReady
from classification.model import get_classifier, reset_classifier_cache
from classification.services import classify_texts
from ingestion.tasks import TRANSIENT_ERRORS, process_raw_event


@pytest.fixture
def broken_copy(tmp_path: Path, classifier_model_dir: Path) -> Iterator[Path]:
    """A private copy of the session's model, free to damage."""
    root = tmp_path / "models"
    shutil.copytree(classifier_model_dir, root, ignore=shutil.ignore_patterns(".train.lock"))
    reset_classifier_cache()
    yield root
    reset_classifier_cache()


def _assert_not_ready(settings, root: Path, *words: str) -> None:  # type: ignore[no-untyped-def]
    settings.CLASSIFIER_MODEL_DIR = root
    reset_classifier_cache()
    with pytest.raises(ClassifierNotReady) as caught:
        classify_texts(["my parcel never arrived"])
    message = str(caught.value)
    assert "train_classifier" in message or "ensure_classifier" in message
    for word in words:
        assert word in message


def test_an_empty_model_directory_says_to_train(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _assert_not_ready(settings, tmp_path / "nothing-here", "no classifier model")


def test_current_pointing_at_a_missing_version_is_reported(settings, broken_copy: Path) -> None:  # type: ignore[no-untyped-def]
    (broken_copy / CURRENT).write_text("20990101T000000Z-deadbeef\n")
    _assert_not_ready(settings, broken_copy, "20990101T000000Z-deadbeef")


def test_a_corrupt_meta_file_is_reported(settings, broken_copy: Path) -> None:  # type: ignore[no-untyped-def]
    (resolve_version_dir(broken_copy) / META).write_text("{ not json")
    _assert_not_ready(settings, broken_copy, "unreadable")


def test_corrupt_model_weights_are_reported(settings, broken_copy: Path) -> None:  # type: ignore[no-untyped-def]
    weights = resolve_version_dir(broken_copy) / "complaint" / "textcat_complaint" / "model"
    weights.write_bytes(b"\x00garbage" * 10)
    _assert_not_ready(settings, broken_copy, "complaint classifier", "unreadable")


def test_a_version_without_the_category_model_is_reported(settings, broken_copy: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(resolve_version_dir(broken_copy) / "category")
    _assert_not_ready(settings, broken_copy, "category")


def test_a_failed_load_is_not_cached_so_a_later_model_is_picked_up(
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    classifier_model_dir: Path,
) -> None:
    empty = tmp_path / "models"
    _assert_not_ready(settings, empty)
    shutil.copytree(classifier_model_dir, empty, dirs_exist_ok=True)
    assert get_classifier().version == (empty / CURRENT).read_text().strip()
    assert (empty / VERSIONS).is_dir()


def test_the_model_is_loaded_once_per_process(classifier_model_dir: Path) -> None:
    reset_classifier_cache()
    first = get_classifier()
    assert get_classifier() is first
    predictions = classify_texts(
        ["My parcel 48213 was marked delivered on Monday but never arrived. Please redeliver."]
    )
    assert predictions[0].model_version == first.version
    assert predictions[0].is_complaint and predictions[0].category == "delivery"


def test_the_ingestion_task_retries_while_the_classifier_is_not_ready() -> None:
    assert ClassifierNotReady in TRANSIENT_ERRORS
    assert ClassifierNotReady in process_raw_event.autoretry_for
