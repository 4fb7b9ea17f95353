"""`manage.py train_classifier [--data FILE] [--task complaint|category] [--out DIR] [--include-feedback]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification.artifact import TASKS, training_lock
from classification.corpus import DataError
from classification.lifecycle import classifier_train
from classification.management.commands._options import add_training_options, training_config


class Command(BaseCommand):
    help = (
        "Train the classifier (both tasks unless --task), save a new version under --out and promote it "
        "when its dev macro-F1 is not worse than the current model's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", default=None, help="CSV/JSONL file or directory of CSVs (default: the corpus)")
        parser.add_argument("--task", choices=TASKS, default=None, help="train one task only (default: both)")
        parser.add_argument("--out", default=None, help="model directory (default: settings.CLASSIFIER_MODEL_DIR)")
        parser.add_argument("--include-feedback", action="store_true", help="add agents' corrections to the data")
        parser.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
        add_training_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"] or settings.CLASSIFIER_MODEL_DIR)
        tasks = (options["task"],) if options["task"] else TASKS
        config = training_config(options)
        log = (lambda message: None) if options["json"] or options["verbosity"] == 0 else self.stderr.write
        try:
            with training_lock(out):
                outcome = classifier_train(
                    data=options["data"],
                    tasks=tasks,
                    out=out,
                    include_feedback=options["include_feedback"],
                    config=config,
                    log=log,
                )
        except (DataError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "version": outcome.version,
                        "promoted": outcome.promoted,
                        "reason": outcome.reason,
                        "feedback_rows": outcome.feedback_rows,
                        "tasks": {
                            task: {
                                "dev": o.dev,
                                "test": o.test,
                                "current_dev_macro_f1": o.current_dev_macro_f1,
                                "data_hash": o.data_hash,
                                "n_train": o.n_train,
                                "best_epoch": o.best_epoch,
                            }
                            for task, o in outcome.tasks.items()
                        },
                    },
                    indent=2,
                )
            )
            return
        for task, o in outcome.tasks.items():
            test = f", test macro-F1 {o.test['macro_f1']:.4f}" if o.test else ""
            self.stdout.write(
                f"{task}: dev macro-F1 {o.dev['macro_f1']:.4f}{test} "
                f"({o.n_train} train examples, data {o.data_hash[:12]})"
            )
        self.stdout.write(f"model {outcome.version} saved in {outcome.path}: {outcome.reason}")
