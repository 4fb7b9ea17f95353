#!/usr/bin/env python
"""Classifier inference speed (words/s on one core) and memory (RSS of a process with the model loaded).

Words per second are words divided by the CPU seconds of this process (single-threaded and pinned
to one CPU, so that is time on one core); the wall-clock rate and the load average are printed too.

Runs the full `Classifier.predict` path the pipeline uses (normalising tokenizer, complaint model
over every text, category model over the complaints, urgency rules, Prediction objects) on the
corpus texts, repeated until at least --words words have gone through, in batches of --batch.

It pins itself to one CPU and sets every BLAS/OpenMP pool to one thread before numpy loads, so
the figure is per core. RSS is measured in a fresh subprocess: interpreter + Django + spaCy + the
loaded model, before and after loading, so the model's own share is visible.

Usage:
    .venv/bin/python bench/classifier_speed.py [--model var/models] [--words 300000] [--batch 256] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# One thread everywhere, set before numpy is imported (it is imported lazily, in main()).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
os.environ.setdefault("DEBUG", "true")

_RSS_SNIPPET = """
import os, sys, json, psutil
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
import django; django.setup()
from pathlib import Path
import classification.model as m
before = psutil.Process().memory_info().rss
c = m.Classifier.load(Path({model!r}))
c.predict(["warm up: my parcel never arrived", "thanks!"])
after = psutil.Process().memory_info().rss
print(json.dumps({{"rss_before_mb": before / 2**20, "rss_after_mb": after / 2**20}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model root or version directory (default: settings)")
    parser.add_argument("--words", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    import django

    django.setup()
    from django.conf import settings

    from classification.corpus import corpus_rows
    from classification.model import Classifier

    model_path = Path(args.model or settings.CLASSIFIER_MODEL_DIR)
    classifier = Classifier.load(model_path)
    texts = [row.text for row in corpus_rows()]
    words_per_round = sum(len(t.split()) for t in texts)
    rounds = max(1, -(-args.words // words_per_round))
    classifier.predict(texts[: args.batch])  # warm up caches and lazy allocations

    total_words = 0
    complaints = 0
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(rounds):
        for i in range(0, len(texts), args.batch):
            batch = texts[i : i + args.batch]
            predictions = classifier.predict(batch)
            complaints += sum(p.is_complaint for p in predictions)
            total_words += sum(len(t.split()) for t in batch)
    elapsed = time.perf_counter() - started
    # CPU seconds of this single-threaded, pinned process: the per-core figure even when other
    # work shares the machine (the wall-clock figure is printed beside it, with the load average).
    cpu_elapsed = time.process_time() - cpu_started

    rss = json.loads(
        subprocess.run(
            [sys.executable, "-c", _RSS_SNIPPET.format(root=str(ROOT), model=str(model_path))],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ},
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    result = {
        "model_version": classifier.version,
        "texts": len(texts) * rounds,
        "words": total_words,
        "seconds_wall": round(elapsed, 2),
        "seconds_cpu": round(cpu_elapsed, 2),
        "words_per_second": round(total_words / cpu_elapsed),
        "words_per_second_wall": round(total_words / elapsed),
        "texts_per_second": round(len(texts) * rounds / cpu_elapsed),
        "load_average": round(load_before, 2),
        "complaint_share": round(complaints / (len(texts) * rounds), 3),
        "batch": args.batch,
        "cpu": args.cpu,
        "rss_before_load_mb": round(rss["rss_before_mb"], 1),
        "rss_with_model_mb": round(rss["rss_after_mb"], 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
