"""Options shared by the classifier commands."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from django.core.management.base import CommandParser

from classification.training import FAST_CONFIG, TrainConfig


def add_training_options(parser: CommandParser) -> None:
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the config's, 13)")
    parser.add_argument(
        "--architecture",
        choices=["bow", "ensemble", "spacy_bow"],
        default=None,
        help="bow: word + character n-gram BOW (default); ensemble: that BOW + a CNN (TextCatEnsemble.v2); "
        "spacy_bow: spaCy's stock TextCatBOW",
    )
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (early stopping on dev)")
    parser.add_argument("--fast", action="store_true", help="the small configuration used by the test suite")
    parser.add_argument("--config", default="", help="JSON overrides of TrainConfig, e.g. '{\"dropout\": 0.3}'")


def training_config(options: dict[str, Any]) -> TrainConfig:
    config = FAST_CONFIG if options.get("fast") else TrainConfig()
    if options.get("config"):
        config = TrainConfig.from_dict({**config.to_dict(), **json.loads(options["config"])})
    overrides = {k: options[k] for k in ("seed", "architecture", "epochs") if options.get(k) is not None}
    return replace(config, **overrides)
