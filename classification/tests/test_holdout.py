"""The held-out messages (classification/data/holdout/): written apart from the corpus, never
trained on. They stay apart: a corpus row that repeats one of them would turn the held-out
figures in docs/classification.md into training figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from classification.corpus import corpus_rows, read_labelled_file, text_key
from classification.taxonomy import DEFAULT_CATEGORIES, NOT_COMPLAINT_REASONS

HOLDOUT = sorted((Path(__file__).resolve().parent.parent / "data" / "holdout").glob("*.csv"))


def test_there_is_a_holdout_file() -> None:
    assert HOLDOUT


@pytest.mark.parametrize("path", HOLDOUT, ids=lambda p: p.name)
def test_no_holdout_text_is_in_the_corpus(path: Path) -> None:
    corpus = {text_key(row.text) for row in corpus_rows()}
    leaked = [row.text for row in read_labelled_file(path) if text_key(row.text) in corpus]
    assert leaked == []


@pytest.mark.parametrize("path", HOLDOUT, ids=lambda p: p.name)
def test_every_holdout_row_is_labelled_in_the_projects_taxonomy(path: Path) -> None:
    categories = {slug for slug, _, _ in DEFAULT_CATEGORIES}
    for row in read_labelled_file(path):
        if row.label == "complaint":
            assert row.category in categories and not row.reason, row.text
        else:
            assert row.label == "not_complaint" and row.reason in NOT_COMPLAINT_REASONS, row.text
            assert not row.category, row.text


def test_the_holdout_files_do_not_repeat_each_other() -> None:
    # Each file is a measurement of its own; a text in two of them would be counted twice.
    seen: dict[str, str] = {}
    repeated = []
    for path in HOLDOUT:
        for row in read_labelled_file(path):
            key = text_key(row.text)
            if key in seen and seen[key] != path.name:
                repeated.append((seen[key], path.name, row.text))
            seen.setdefault(key, path.name)
    assert repeated == []
