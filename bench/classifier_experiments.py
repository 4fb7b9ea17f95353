#!/usr/bin/env python
"""Cross-validated comparison of classifier configurations against the TF-IDF baseline.

Each named configuration is a set of TrainConfig overrides; every one is trained fresh per fold
exactly as `evaluate_classifier --cv K --baseline` does (same folds for all, same seed), and one
line of results is printed per configuration, then a Markdown table for docs/classification.md.

Usage:
    .venv/bin/python bench/classifier_experiments.py --task complaint --cv 5 \\
        --run bow='{}' stock='{"architecture": "spacy_bow"}' ensemble='{"architecture": "ensemble"}'
    .venv/bin/python bench/classifier_experiments.py --data other.csv --task complaint --cv 10 --run bow='{}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
os.environ.setdefault("DEBUG", "true")


def _log(name: str, message: str) -> None:
    print(f"[{name}] {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="CSV/JSONL file or directory (default: the corpus)")
    parser.add_argument("--task", choices=["complaint", "category"], required=True)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--run", nargs="+", required=True, metavar="NAME=JSON", help="configurations to compare")
    parser.add_argument("--out", default=None, help="append one JSON line per configuration to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from classification.corpus import task_examples
    from classification.evaluation import cross_validate
    from classification.lifecycle import load_rows
    from classification.training import TrainConfig

    examples = task_examples(load_rows(args.data), args.task)
    rows = []
    for spec in args.run:
        name, _, overrides = spec.partition("=")
        config = TrainConfig.from_dict({**TrainConfig().to_dict(), **json.loads(overrides or "{}")})
        started = time.perf_counter()
        report = cross_validate(
            examples,
            task=args.task,
            folds=args.cv,
            config=config,
            baseline=True,
            log=partial(_log, name),
        )
        base = report["baseline"]
        row = {
            "name": name,
            "overrides": json.loads(overrides or "{}"),
            "task": args.task,
            "n": len(examples),
            "folds": args.cv,
            "macro_f1": report["macro_f1"],
            "macro_f1_mean": report["macro_f1_mean"],
            "macro_f1_std": report["macro_f1_std"],
            "auc": report["auc"],
            "accuracy": report["accuracy"],
            "baseline_macro_f1": base["macro_f1"],
            "baseline_auc": base["auc"],
            "folds_won": base["folds_won_by_spacy"],
            "words_per_second": report["words_per_second"],
            "seconds": round(time.perf_counter() - started),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")

    print(
        "\n| configuration | macro-F1 (pooled) | fold mean ± sd | AUC | baseline macro-F1 | baseline AUC | folds won |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['name']} | {r['macro_f1']:.4f} | {r['macro_f1_mean']:.4f} ± {r['macro_f1_std']:.4f} "
            f"| {r['auc']:.4f} | {r['baseline_macro_f1']:.4f} | {r['baseline_auc']:.4f} "
            f"| {r['folds_won']}/{r['folds']} |"
        )


if __name__ == "__main__":
    main()
