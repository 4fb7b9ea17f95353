"""A real, small classifier for test sessions, trained once per corpus version and cached.

The root conftest points CLASSIFIER_MODEL_DIR at `session_model_dir()`, so every pipeline test gets
real predictions without training a model per test. The cache key is the corpus's data hash plus
the fast configuration and the spaCy version: editing the corpus or the configuration retrains, an
unchanged checkout reuses var/test-models/<key>/ across sessions.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import spacy

from classification.artifact import FORMAT, training_lock
from classification.corpus import DataError, corpus_rows, data_hash
from classification.lifecycle import classifier_is_ready, classifier_train
from classification.training import FAST_CONFIG


def _corpus_hash(attempts: int = 5) -> str:
    # Corpus files being rewritten (a writer mid-save) read as a bad row for a moment: retry.
    for attempt in range(attempts):
        try:
            return data_hash(corpus_rows())
        except DataError:
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


def session_model_dir(cache_root: Path) -> Path:
    key_source = json.dumps(
        {"data": _corpus_hash(), "config": FAST_CONFIG.to_dict(), "spacy": spacy.__version__, "format": FORMAT},
        sort_keys=True,
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    target = cache_root / key
    if classifier_is_ready(target)[0]:
        return target
    with training_lock(cache_root):
        if not classifier_is_ready(target)[0]:  # another session may have trained it meanwhile
            shutil.rmtree(target, ignore_errors=True)
            classifier_train(out=target, config=FAST_CONFIG, always_promote=True)
        _prune(cache_root, keep={key})
    return target


def _prune(cache_root: Path, *, keep: set[str], max_entries: int = 5) -> None:
    # Several entries stay: other test sessions (a real worker subprocess among them) may still be
    # using a model trained for an older corpus or configuration.
    entries = sorted(
        (p for p in cache_root.iterdir() if p.is_dir() and p.name not in keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[max_entries - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
