"""The model on disk: versioned directories, a CURRENT pointer, and loud failure when it is not there.

Layout under CLASSIFIER_MODEL_DIR (settings; var/models by default):

    CURRENT                      the promoted version's name, one line
    versions/<version>/meta.json version, creation time, spaCy version, per task: labels, decision rule,
                                 training config, data hash, dev and test figures
    versions/<version>/complaint/ a spaCy pipeline (spacy.load-able once classification is imported)
    versions/<version>/category/  another

A version directory is written under a temporary name and renamed into place, and CURRENT is
replaced atomically, so a worker never sees half a model.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy

import classification.features
import classification.tokenizer  # noqa: F401  (registers the normalising tokenizer)
from classification.errors import ClassifierNotReady
from classification.training import Decision, TaskModel

__all__ = ["ClassifierNotReady"]  # re-exported: the lifecycle and the commands import it from here

FORMAT = 1
CURRENT = "CURRENT"
META = "meta.json"
VERSIONS = "versions"
TASKS = ("complaint", "category")
TRAIN_HINT = "run `python manage.py train_classifier` (or `python manage.py ensure_classifier`)"


def version_name(fingerprint: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{fingerprint[:8]}"


def current_version(root: Path) -> str | None:
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def resolve_version_dir(path: Path) -> Path:
    """A version directory itself, or a model root whose CURRENT names one."""
    path = Path(path)
    if (path / META).is_file():
        return path
    name = current_version(path)
    if name is None:
        raise ClassifierNotReady(f"no classifier model in {path} (no {CURRENT} file): {TRAIN_HINT}")
    version_dir = path / VERSIONS / name
    if not version_dir.is_dir():
        raise ClassifierNotReady(
            f"{path / CURRENT} names version {name!r}, which is not in {path / VERSIONS}: {TRAIN_HINT}"
        )
    return version_dir


def read_meta(version_dir: Path) -> dict[str, Any]:
    try:
        meta = json.loads((version_dir / META).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClassifierNotReady(f"{version_dir} has no {META}: {TRAIN_HINT}") from exc
    except (OSError, ValueError) as exc:
        raise ClassifierNotReady(f"{version_dir / META} is unreadable ({exc}): {TRAIN_HINT}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("tasks"), dict):
        raise ClassifierNotReady(f"{version_dir / META} is not a format-{FORMAT} classifier description: {TRAIN_HINT}")
    return meta


def load_task_model(version_dir: Path, task: str, meta: dict[str, Any] | None = None) -> TaskModel:
    meta = meta if meta is not None else read_meta(version_dir)
    info = meta["tasks"].get(task)
    if not isinstance(info, dict):
        raise ClassifierNotReady(
            f"model {version_dir.name} has no {task!r} classifier: "
            f"run `python manage.py train_classifier --task {task}`"
        )
    try:
        nlp = spacy.load(version_dir / task)
        component = str(info["component"])
        fine_labels = list(info["fine_labels"])
        if list(nlp.get_pipe(component).labels) != fine_labels:  # type: ignore[attr-defined]
            raise ValueError(f"the {component} labels do not match {META}")
        return TaskModel(
            task=task,
            nlp=nlp,
            component=component,
            labels=list(info["labels"]),
            fine_labels=fine_labels,
            decision=Decision.from_dict(info["decision"]),
            info=info,
        )
    except ClassifierNotReady:
        raise
    except Exception as exc:  # any failure to read a saved pipeline means the same thing: not usable
        raise ClassifierNotReady(
            f"the {task} classifier in {version_dir} is unreadable ({type(exc).__name__}: {exc}): {TRAIN_HINT}"
        ) from exc


def load_version(version_dir: Path, tasks: tuple[str, ...] = TASKS) -> tuple[dict[str, Any], dict[str, TaskModel]]:
    meta = read_meta(version_dir)
    return meta, {task: load_task_model(version_dir, task, meta) for task in tasks}


def save_version(
    root: Path,
    *,
    models: dict[str, TaskModel],
    task_meta: dict[str, dict[str, Any]],
    fingerprint: str,
    reuse_from: Path | None = None,
    notes: dict[str, Any] | None = None,
) -> Path:
    """Write a new version (the tasks in `models`, plus other tasks copied from `reuse_from`)."""
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    name = version_name(fingerprint)
    tmp = versions / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        tasks_meta: dict[str, Any] = {}
        for task, model in models.items():
            model.nlp.to_disk(tmp / task)
            tasks_meta[task] = {
                "component": model.component,
                "labels": model.labels,
                "fine_labels": model.fine_labels,
                "decision": model.decision.to_dict(),
                **task_meta.get(task, {}),
            }
        if reuse_from is not None:
            old = read_meta(reuse_from)
            for task, info in old["tasks"].items():
                if task not in tasks_meta and (reuse_from / task).is_dir():
                    shutil.copytree(reuse_from / task, tmp / task)
                    tasks_meta[task] = {**info, "reused_from": reuse_from.name}
        meta = {
            "format": FORMAT,
            "version": name,
            "created_at": datetime.now(UTC).isoformat(),
            "spacy_version": spacy.__version__,
            "tasks": tasks_meta,
            **(notes or {}),
        }
        (tmp / META).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        final = versions / name
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def promote(root: Path, version: str) -> None:
    """Point CURRENT at `version` atomically."""
    tmp = root / f".{CURRENT}.{uuid.uuid4().hex}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT)


def prune_versions(root: Path, *, keep: int = 3) -> list[str]:
    """Delete old versions, keeping CURRENT and the `keep` newest others. Returns the names removed."""
    versions = root / VERSIONS
    if not versions.is_dir():
        return []
    current = current_version(root)
    names = sorted((p.name for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    removed = []
    for name in [n for n in names if n != current][keep:]:
        shutil.rmtree(versions / name, ignore_errors=True)
        removed.append(name)
    return removed


@contextlib.contextmanager
def training_lock(root: Path) -> Iterator[None]:
    """One trainer at a time per model directory (web and worker may both start `ensure_classifier`)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".train.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
