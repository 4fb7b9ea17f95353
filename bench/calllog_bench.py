"""Benchmark: a generated call-log file through the whole batch job vs the classifier alone.

    python bench/calllog_bench.py [--calls 100000] [--processes 2] [--database bench_calllogs] [--keep]

1. generates a canonical JSON Lines file (bench/calllog_generate.py: ~100-word transcripts);
2. creates a fresh PostgreSQL database (DATABASE_URL's server, default postgres@127.0.0.1) and a
   file-system lake in a temporary folder, and drops the file in the inbox;
3. in a fresh worker-like process: loads the classifier (as a worker has it loaded already), then
   times `call_logs_ingest()` end to end: staging + sha256, the raw copy, parsing, bulk inserts,
   classification through nlp.pipe, routing to the warehouse. With `--processes N` > 1 the job
   fans the file out to N forked chunk processes (CALL_LOG_PROCESSES); CPU time is the job's
   process plus its chunk processes, peak RSS is given for each;
4. in another process, before and after the job: the classifier's raw throughput on the same
   customer texts, read by the same parser: the complaint pipeline's `nlp.pipe` alone in one
   process and with spaCy's `n_process=N` (the same number of processes as the job), and
   `classify_texts` (both pipes, urgency rules) in the job's batch size;
5. prints one JSON document with the figures and the machine (docs/benchmarks.md quotes them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
    django.setup()


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # KiB on Linux; for RUSAGE_CHILDREN the largest of the children waited for.
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_ingest() -> dict[str, Any]:
    _django()
    import ingestion.bulk as bulk
    from classification.services import classify_texts
    from ingestion.calllogs.job import call_logs_ingest

    real = bulk.classify_texts
    if os.environ.get("BENCH_FAKE_CLASSIFIER"):
        # Diagnosis only: the job's own cost (parse, database, routing) with a free classifier.
        from ingestion.tests.calllogs.helpers import KeywordClassifier

        real = KeywordClassifier()._predict_all  # type: ignore[attr-defined]
    else:
        classify_texts(["warm-up: load the model, as a running worker has it loaded"])
    rss_before = _peak_rss_mb()
    spent = {"classify": 0.0, "batches": 0}

    def timed(texts):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return real(texts)
        finally:
            spent["classify"] += time.perf_counter() - start
            spent["batches"] += 1

    bulk.classify_texts = timed  # type: ignore[assignment]
    start, cpu, cpu_children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    summary = call_logs_ingest()
    elapsed = time.perf_counter() - start
    cpu, cpu_children = _cpu(resource.RUSAGE_SELF) - cpu, _cpu(resource.RUSAGE_CHILDREN) - cpu_children
    totals = summary.as_dict()
    from django.conf import settings

    return {
        "processes": settings.CALL_LOG_PROCESSES,
        "chunk_lines": settings.CALL_LOG_CHUNK_LINES,
        "elapsed_s": round(elapsed, 2),
        "calls_per_s": round(totals["calls"] / elapsed, 1),
        # CPU seconds of this process (all threads) and of its chunk processes; PostgreSQL's own
        # work is not included.
        "cpu_s": round(cpu + cpu_children, 2),
        "cpu_job_process_s": round(cpu, 2),
        "cpu_chunk_processes_s": round(cpu_children, 2),
        "calls_per_cpu_s": round(totals["calls"] / (cpu + cpu_children), 1),
        # In the job's own process only (chunk processes classify in their own memory).
        "classify_s": round(spent["classify"], 2),
        "classify_batches": spent["batches"],
        "summary": totals,
        "rss_after_model_load_mb": round(rss_before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "peak_rss_chunk_process_mb": round(_peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
    }


def child_raw(path: str, batch: int, processes: int) -> dict[str, Any]:
    _django()
    from django.conf import settings

    from classification.services import classify_texts
    from ingestion.calllogs import canonical
    from ingestion.calllogs.records import CallRecord
    from ingestion.textclean import clean_text
    from ingestion.timeparse import get_zone

    zone = get_zone(settings.CALL_LOG_SOURCE_TZ)
    with open(path, "rb") as stream:
        texts = [
            clean_text(item.customer_text())
            for item in canonical.parse_jsonl(stream, zone=zone)
            if isinstance(item, CallRecord)
        ]
    classify_texts(texts[:10])  # load the model
    out: dict[str, Any] = {
        "texts": len(texts),
        "mean_customer_words": round(sum(len(t.split()) for t in texts) / len(texts), 1),
    }
    try:
        from classification.model import get_classifier

        nlp = get_classifier().complaint.nlp  # type: ignore[attr-defined]
        start, cpu = time.perf_counter(), time.process_time()
        for _doc in nlp.pipe(texts, batch_size=256):
            pass
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        out["nlp_pipe_s"] = round(elapsed, 2)
        out["nlp_pipe_per_s"] = round(len(texts) / elapsed, 1)
        out["nlp_pipe_per_cpu_s"] = round(len(texts) / cpu, 1)
        if processes > 1:
            out.update(_nlp_pipe_processes(nlp, texts, processes))
    except (ImportError, AttributeError) as exc:  # the interim pass-through has no nlp
        out["nlp_pipe_error"] = str(exc)
    start, cpu = time.perf_counter(), time.process_time()
    complaints = 0
    for i in range(0, len(texts), batch):
        complaints += sum(p.is_complaint for p in classify_texts(texts[i : i + batch]))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    out["classify_texts_s"] = round(elapsed, 2)
    out["classify_texts_per_s"] = round(len(texts) / elapsed, 1)
    out["classify_texts_per_cpu_s"] = round(len(texts) / cpu, 1)
    out["predicted_complaints"] = complaints
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return out


SPACY_N_PROCESS_SAMPLE = 10_000
_SHARED: dict[str, Any] = {}  # the pipeline and the texts, inherited by forked processes


def _pipe_share(args: tuple[int, int]) -> int:
    start, step = args
    count = 0
    for _doc in _SHARED["nlp"].pipe(_SHARED["texts"][start::step], batch_size=256):
        count += 1
    return count


def _nlp_pipe_processes(nlp: Any, texts: list[str], processes: int) -> dict[str, Any]:
    """Raw nlp.pipe in `processes` processes, two ways, wall time and CPU of all processes.

    - spaCy's own `n_process`: the parent hands texts out and gets every Doc back serialised
      (that transfer costs more than this model's inference);
    - `processes` forked processes each piping its share of the texts, nothing sent back: the
      classifier's own capacity on that many cores, the fair comparison for the job's chunks.
    """
    import multiprocessing

    out: dict[str, Any] = {"nlp_pipe_processes": processes}
    sample = texts[:SPACY_N_PROCESS_SAMPLE]  # that slow: a sample is enough to see it
    children = _cpu(resource.RUSAGE_CHILDREN)
    start, cpu = time.perf_counter(), time.process_time()
    for _doc in nlp.pipe(sample, batch_size=256, n_process=processes):
        pass
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    multiprocessing.active_children()  # wait for spaCy's processes: their CPU time counts
    cpu += _cpu(resource.RUSAGE_CHILDREN) - children
    out["spacy_n_process_texts"] = len(sample)
    out["spacy_n_process_per_s"] = round(len(sample) / elapsed, 1)
    out["spacy_n_process_per_cpu_s"] = round(len(sample) / cpu, 1)

    _SHARED.update(nlp=nlp, texts=texts)
    children = _cpu(resource.RUSAGE_CHILDREN)
    start, cpu = time.perf_counter(), time.process_time()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        done = sum(pool.map(_pipe_share, [(i, processes) for i in range(processes)]))
        pool.close()
        pool.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    cpu += _cpu(resource.RUSAGE_CHILDREN) - children
    _SHARED.clear()
    out["nlp_pipe_nproc_per_s"] = round(done / elapsed, 1)
    out["nlp_pipe_nproc_per_cpu_s"] = round(done / cpu, 1)
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_gb, 1),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": pg,
        "os": platform.platform(),
    }


def run_child(mode: str, env: dict[str, str], *extra: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} child failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument(
        "--processes", type=int, default=2, help="chunk processes of the job (CALL_LOG_PROCESSES); 1: one process"
    )
    parser.add_argument("--database", default="bench_calllogs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the database")
    parser.add_argument("--child", choices=["ingest", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "ingest":
        print(json.dumps(child_ingest()))
        return
    if args.child == "raw":
        print(json.dumps(child_raw(args.file, args.batch, args.processes)))
        return

    from bench.calllog_generate import generate

    work = Path(tempfile.mkdtemp(prefix="calllog-bench-"))
    server = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "complaintsite.settings.base",
        "DATABASE_URL": f"{server}/{args.database}",
        "LAKE_URL": (work / "lake").as_uri(),
        "VAR_DIR": os.environ.get("VAR_DIR", str(ROOT / "var")),
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "CALL_LOG_PROCESSES": str(args.processes),
    }
    report: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    try:
        inbox = work / "lake" / "inbox" / "call_center"
        inbox.mkdir(parents=True)
        started = time.perf_counter()
        report["file"] = generate(inbox / "bench.jsonl", calls=args.calls)
        report["file"]["generate_s"] = round(time.perf_counter() - started, 1)
        raw_copy = work / "texts.jsonl"
        shutil.copyfile(inbox / "bench.jsonl", raw_copy)  # the raw child reads the same bytes

        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)

        # The machine may be shared: the classifier alone is measured before and after the job,
        # and the job is compared with the mean of the two.
        fake = bool(os.environ.get("BENCH_FAKE_CLASSIFIER"))
        raw_args = ("--file", str(raw_copy), "--batch", str(args.batch), "--processes", str(args.processes))
        before = None if fake else run_child("raw", env, *raw_args)
        report["job"] = run_child("ingest", env)
        report["load_avg_after_job"] = [round(x, 2) for x in os.getloadavg()]
        if fake:
            print(json.dumps(report, indent=2))
            return
        after = run_child("raw", env, *raw_args)
        report["classifier_before"], report["classifier_after"] = before, after
        job = report["job"]
        for name in ("nlp_pipe_per_s", "nlp_pipe_nproc_per_s", "spacy_n_process_per_s", "classify_texts_per_s"):
            if before and name in before and name in after:
                mean = (before[name] + after[name]) / 2
                report[f"mean_{name}"] = round(mean, 1)
                report[f"job_vs_{name.removesuffix('_per_s')}"] = round(job["calls_per_s"] / mean, 3)
        for name in (
            "nlp_pipe_per_cpu_s",
            "nlp_pipe_nproc_per_cpu_s",
            "spacy_n_process_per_cpu_s",
            "classify_texts_per_cpu_s",
        ):
            if before and name in before and name in after:
                mean = (before[name] + after[name]) / 2
                report[f"job_cpu_vs_{name.removesuffix('_per_cpu_s')}"] = round(job["calls_per_cpu_s"] / mean, 3)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.database], check=False)
        else:
            report["workdir"] = str(work)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
