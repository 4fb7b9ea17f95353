"""Train, compare, save and promote: what `train_classifier` and `ensure_classifier` run.

Promotion rule: a new model becomes CURRENT only when, for every task it retrained, its macro-F1 on
the dev split is not worse than the current model's macro-F1 on the *same* dev split (the current
model is re-scored, not compared with figures it recorded on other data). Like is compared with
like: a current model that was refitted on its dev split (TrainConfig.refit) has seen those texts,
so it is compared with the new model as shipped (refitted too) on dev; a current model that never
saw dev is compared with the new model's held-out dev figure from before its refit. A model that loses is
still saved, so it can be inspected, but CURRENT keeps pointing at the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from classification.artifact import (
    TASKS,
    ClassifierNotReady,
    current_version,
    load_task_model,
    promote,
    prune_versions,
    read_meta,
    resolve_version_dir,
    save_version,
)
from classification.corpus import (
    COMPLAINT,
    CORPUS_DIR,
    NOT_COMPLAINT,
    LabelledText,
    TaskExample,
    corpus_rows,
    data_hash,
    read_labelled_file,
    split_rows,
    task_examples,
    text_key,
)
from classification.evaluation import evaluate_model
from classification.training import TaskModel, TrainConfig, train_task_model

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


def load_rows(data: Path | str | None) -> list[LabelledText]:
    """The corpus when `data` is None, else a file (CSV/JSONL) or a directory of CSV files."""
    if data is None:
        return corpus_rows(CORPUS_DIR)
    path = Path(data)
    return corpus_rows(path) if path.is_dir() else read_labelled_file(path)


def feedback_rows(base: Iterable[LabelledText] = ()) -> list[LabelledText]:
    """Agents' corrections as labelled rows, oldest first, merged per text with what `base` says.

    A complaint-or-not correction sets the label (and reason); a category correction sets the
    category and, by implication, that the text is a complaint. The latest correction wins.
    """
    from classification.models import Feedback

    known = {text_key(row.text): row for row in base}
    merged: dict[str, LabelledText] = {}
    for fb in Feedback.objects.order_by("created_at", "id"):
        key = text_key(fb.text)
        row = merged.get(key) or known.get(key) or LabelledText(text=fb.text, label=COMPLAINT)
        if fb.task == Feedback.Task.COMPLAINT:
            if fb.label == NOT_COMPLAINT:
                row = replace(row, label=NOT_COMPLAINT, reason=fb.reason or "other", category="")
            else:
                row = replace(row, label=COMPLAINT, reason="")
        else:
            row = replace(row, label=COMPLAINT, reason="", category=fb.label)
        merged[key] = replace(row, text=fb.text, origin="feedback")
    return list(merged.values())


def split_with_feedback(
    rows: Sequence[LabelledText], *, include_feedback: bool
) -> tuple[dict[str, list[LabelledText]], int]:
    """The fixed split; corrections replace their text's row wherever it is, new texts go to train.

    New texts go to train only so that dev, on which promotion is judged, stays comparable.
    """
    parts = split_rows(rows)
    if not include_feedback:
        return parts, 0
    corrections = {text_key(row.text): row for row in feedback_rows(rows)}
    placed: set[str] = set()
    for part in parts.values():
        for i, row in enumerate(part):
            key = text_key(row.text)
            if key in corrections:
                part[i] = corrections[key]
                placed.add(key)
    parts["train"].extend(row for key, row in corrections.items() if key not in placed)
    return parts, len(corrections)


@dataclass
class TaskOutcome:
    task: str
    dev: dict[str, Any]
    test: dict[str, Any] | None
    current_dev_macro_f1: float | None
    best_epoch: int
    seconds: float
    n_train: int
    n_dev: int
    n_test: int
    data_hash: str
    # The new model's dev macro-F1 that promotion compared with current_dev_macro_f1 (see the docstring).
    dev_macro_f1_compared: float | None = None


@dataclass
class TrainOutcome:
    version: str
    path: Path
    promoted: bool
    reason: str
    tasks: dict[str, TaskOutcome] = field(default_factory=dict)
    feedback_rows: int = 0


def _task_split(parts: dict[str, list[LabelledText]], task: str) -> dict[str, list[TaskExample]]:
    return {name: task_examples(part, task) for name, part in parts.items()}


def classifier_train(
    *,
    data: Path | str | None = None,
    tasks: Sequence[str] = TASKS,
    out: Path | str,
    include_feedback: bool = False,
    config: TrainConfig | None = None,
    always_promote: bool = False,
    log: Log = _quiet,
) -> TrainOutcome:
    """Train the given tasks, save a new version under `out`, promote it if it is not worse.

    `always_promote` is for replacing a model that is not usable at all (ensure_classifier).
    """
    config = config or TrainConfig()
    root = Path(out)
    rows = load_rows(data)
    parts, n_feedback = split_with_feedback(rows, include_feedback=include_feedback)
    try:
        current_dir: Path | None = resolve_version_dir(root) if current_version(root) else None
        if current_dir is not None:
            read_meta(current_dir)  # an unreadable current model has nothing to compare or reuse
    except ClassifierNotReady:
        current_dir = None

    models: dict[str, TaskModel] = {}
    task_meta: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, TaskOutcome] = {}
    for task in tasks:
        split = _task_split(parts, task)
        log(f"{task}: {len(split['train'])} train, {len(split['dev'])} dev, {len(split['test'])} test examples")
        result = train_task_model(split["train"], split["dev"], task=task, config=config, log=log)
        model = result.model
        test = evaluate_model(model, split["test"]) if split["test"] else None
        current_f1, current_saw_dev = _current_dev_f1(current_dir, task, split["dev"])
        compared = result.dev_report["macro_f1"]
        if current_f1 is not None and current_saw_dev:
            compared = float(evaluate_model(model, split["dev"])["macro_f1"])
        digest = data_hash([e for part in split.values() for e in part])
        outcomes[task] = TaskOutcome(
            task=task,
            dev=result.dev_report,
            test=test,
            current_dev_macro_f1=current_f1,
            best_epoch=result.best_epoch,
            seconds=result.seconds,
            n_train=len(split["train"]),
            n_dev=len(split["dev"]),
            n_test=len(split["test"]),
            data_hash=digest,
            dev_macro_f1_compared=compared,
        )
        models[task] = model
        task_meta[task] = {
            "data_hash": digest,
            "data": str(data) if data is not None else "corpus",
            "feedback_rows": n_feedback,
            "config": config.to_dict(),
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
            "refit": bool(model.info.get("refit")),
            "train_seconds": round(result.seconds, 1),
            "counts": {"train": len(split["train"]), "dev": len(split["dev"]), "test": len(split["test"])},
            "metrics": {"dev": result.dev_report, "test": test},
        }
        log(
            f"{task}: dev macro-F1 {result.dev_report['macro_f1']:.4f}"
            + (f", test macro-F1 {test['macro_f1']:.4f}" if test else "")
            + (f" (current model on this dev split: {current_f1:.4f})" if current_f1 is not None else "")
        )

    fingerprint = data_hash([e for task in tasks for part in _task_split(parts, task).values() for e in part])
    path = save_version(root, models=models, task_meta=task_meta, fingerprint=fingerprint, reuse_from=current_dir)
    promoted, reason = (
        (True, "promoted (replacing an unusable model)") if always_promote else _promotion(outcomes, path)
    )
    if promoted:
        promote(root, path.name)
    prune_versions(root)
    return TrainOutcome(
        version=path.name, path=path, promoted=promoted, reason=reason, tasks=outcomes, feedback_rows=n_feedback
    )


def _current_dev_f1(current_dir: Path | None, task: str, dev: Sequence[TaskExample]) -> tuple[float | None, bool]:
    """The current model's macro-F1 on this dev split, and whether it was refitted on its dev split."""
    if current_dir is None or not dev:
        return None, False
    try:
        model = load_task_model(current_dir, task)
        info = read_meta(current_dir)["tasks"].get(task, {})
    except ClassifierNotReady:
        return None, False
    if set(e.label for e in dev) - set(model.labels):
        return None, False  # new classes: the current model cannot be scored on them; the new one stands alone
    saw_dev = bool(info.get("refit", (info.get("config") or {}).get("refit", False)))
    return float(evaluate_model(model, dev)["macro_f1"]), saw_dev


def _promotion(outcomes: dict[str, TaskOutcome], path: Path) -> tuple[bool, str]:
    missing = [task for task in TASKS if task not in read_meta(path)["tasks"]]
    worse = [
        f"{o.task} dev macro-F1 {_compared(o):.4f} < current {o.current_dev_macro_f1:.4f}"
        for o in outcomes.values()
        if o.current_dev_macro_f1 is not None and _compared(o) < o.current_dev_macro_f1
    ]
    if worse:
        return False, "not promoted: " + "; ".join(worse)
    if missing and any(o.current_dev_macro_f1 is not None for o in outcomes.values()):
        return False, f"not promoted: the new version lacks {', '.join(missing)}"
    return True, "promoted" + (f" (without {', '.join(missing)}: train it too)" if missing else "")


def _compared(outcome: TaskOutcome) -> float:
    if outcome.dev_macro_f1_compared is not None:
        return outcome.dev_macro_f1_compared
    return float(outcome.dev["macro_f1"])


def classifier_is_ready(root: Path | str) -> tuple[bool, str]:
    """Whether a complete, loadable model is promoted under `root`, and why not."""
    from classification.model import Classifier

    try:
        classifier = Classifier.load(Path(root))
    except ClassifierNotReady as exc:
        return False, str(exc)
    return True, classifier.version
