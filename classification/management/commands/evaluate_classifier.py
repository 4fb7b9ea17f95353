"""`manage.py evaluate_classifier --data FILE --task complaint|category [--model DIR] [--cv K] [--baseline]
[--json]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification.artifact import TASKS, ClassifierNotReady, load_task_model, read_meta, resolve_version_dir
from classification.baseline import TfidfBaseline
from classification.corpus import DataError, split_rows, task_examples, text_key
from classification.evaluation import cross_validate, evaluate_model
from classification.lifecycle import load_rows
from classification.management.commands._options import add_training_options, training_config
from classification.metrics import classification_report


class Command(BaseCommand):
    help = (
        "Evaluate a saved model on a labelled file, or (--cv K) cross-validate fresh pipelines on it; "
        "--baseline adds a TF-IDF word+char logistic regression on the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="CSV/JSONL file with text,label (or a directory of CSVs)")
        parser.add_argument("--task", choices=TASKS, required=True)
        parser.add_argument("--model", default=None, help="model or version directory (default: the promoted one)")
        parser.add_argument("--cv", type=int, default=0, metavar="K", help="stratified K-fold cross-validation")
        parser.add_argument("--baseline", action="store_true", help="add the TF-IDF + logistic regression baseline")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--split",
            choices=["all", "train", "dev", "test"],
            default="all",
            help="evaluate on one part of the file's fixed split (default: all rows)",
        )
        add_training_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        log = (lambda message: None) if options["json"] or options["verbosity"] == 0 else self.stderr.write
        try:
            rows = load_rows(options["data"])
            if options["cv"]:
                examples = task_examples(rows, options["task"])
                report = cross_validate(
                    examples,
                    task=options["task"],
                    folds=options["cv"],
                    config=training_config(options),
                    baseline=options["baseline"],
                    log=log,
                )
                report["mode"] = f"{options['cv']}-fold cross-validation"
            else:
                report = self._evaluate_saved(rows, options)
        except (DataError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except ClassifierNotReady as exc:
            raise CommandError(str(exc)) from exc
        report["task"] = options["task"]
        report["data"] = str(options["data"])
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=float))
        else:
            self._print(report)

    def _evaluate_saved(self, rows: list[Any], options: dict[str, Any]) -> dict[str, Any]:
        task = options["task"]
        parts = split_rows(rows) if options["split"] != "all" else {"all": rows}
        examples = task_examples(parts[options["split"]], task)
        if not examples:
            raise DataError(f"no {task} examples in {options['data']} ({options['split']})")
        version_dir = resolve_version_dir(Path(options["model"] or settings.CLASSIFIER_MODEL_DIR))
        model = load_task_model(version_dir, task, read_meta(version_dir))
        report = evaluate_model(model, examples)
        report["model_version"] = version_dir.name
        report["mode"] = f"saved model on {options['split']} rows"
        if options["baseline"]:
            train = self._baseline_training(parts, options)
            reference = TfidfBaseline(seed=training_config(options).seed)
            reference.fit([e.text for e in train], [e.label for e in train])
            texts = [e.text for e in examples]
            base = classification_report(
                [e.label for e in examples],
                reference.predict(texts),
                labels=model.labels,
                scores=reference.scores(texts, model.labels),
                positive=model.decision.positive or None,
            )
            base["model"] = "tfidf word 1-2 + char_wb 2-5, sublinear tf, LogisticRegression(C=1)"
            report["baseline"] = base
        return report

    @staticmethod
    def _baseline_training(parts: dict[str, list[Any]], options: dict[str, Any]) -> list[Any]:
        """What the baseline learns from, so that it faces the rows the saved model faces:
        the rest of the file's split for dev or test; for a whole file written apart from the
        corpus (a held-out set), the corpus's train and dev parts, which the shipped model was
        fitted on (its refit)."""
        task = options["task"]
        split = options["split"]
        if split == "train":
            raise DataError("--baseline needs rows it did not train on: --split dev, test or all")
        if split == "all":
            corpus_rows = load_rows(None)
            seen = {text_key(row.text) for row in corpus_rows}
            if any(text_key(row.text) in seen for rows in parts.values() for row in rows):
                raise DataError(
                    "--baseline --split all is for a file apart from the corpus; this one shares texts with it"
                )
            corpus = split_rows(corpus_rows)
            return [e for name in ("train", "dev") for e in task_examples(corpus[name], task)]
        train_parts = ["train"] if split == "dev" else ["train", "dev"]
        return [e for name in train_parts for e in task_examples(parts[name], task)]

    def _print(self, report: dict[str, Any]) -> None:
        def line(name: str, r: dict[str, Any]) -> str:
            auc = f"{r['auc']:.4f}" if r.get("auc") is not None else "n/a"
            extra = f" (folds {r['macro_f1_mean']:.4f} ± {r['macro_f1_std']:.4f})" if "macro_f1_mean" in r else ""
            return f"{name:<10} accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}{extra}  AUC {auc}"

        self.stdout.write(f"{report['task']} on {report['data']}: {report['mode']}, {report['n']} examples")
        self.stdout.write(line("spaCy", report))
        if "baseline" in report:
            self.stdout.write(line("baseline", report["baseline"]))
        self.stdout.write(f"{'class':<28}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
        for label, s in report["per_class"].items():
            self.stdout.write(
                f"{label:<28}{s['precision']:>10.4f}{s['recall']:>10.4f}{s['f1']:>10.4f}{s['support']:>9}"
            )
        if report.get("words_per_second"):
            self.stdout.write(f"inference: {report['words_per_second']:,.0f} words/s")
