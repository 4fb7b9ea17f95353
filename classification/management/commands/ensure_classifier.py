"""`manage.py ensure_classifier`: train the default model when no valid one is promoted (make run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classification.artifact import training_lock
from classification.lifecycle import classifier_is_ready, classifier_train
from classification.management.commands._options import add_training_options, training_config


class Command(BaseCommand):
    help = "Do nothing when a complete, loadable classifier is promoted; otherwise train one on the corpus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=None, help="model directory (default: settings.CLASSIFIER_MODEL_DIR)")
        parser.add_argument("--data", default=None, help="train on this file instead of the corpus")
        add_training_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"] or settings.CLASSIFIER_MODEL_DIR)
        ready, detail = classifier_is_ready(out)
        if ready:
            self.stdout.write(f"classifier {detail} is ready in {out}")
            return
        with training_lock(out):
            # Another process may have trained it while this one waited for the lock.
            ready, detail = classifier_is_ready(out)
            if ready:
                self.stdout.write(f"classifier {detail} is ready in {out}")
                return
            self.stdout.write(f"no usable classifier ({detail}); training one on the corpus, this takes minutes")
            log = self.stderr.write if options["verbosity"] > 1 else (lambda message: None)
            outcome = classifier_train(
                data=options["data"], out=out, config=training_config(options), always_promote=True, log=log
            )
        ready, detail = classifier_is_ready(out)
        if not ready:
            raise CommandError(f"training finished but the classifier is still not usable: {detail}")
        self.stdout.write(f"classifier {outcome.version} trained and promoted in {out}")
