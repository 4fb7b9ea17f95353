#!/usr/bin/env python
"""End-to-end latency, webhook -> warehouse, at a sustained rate (default 100 messages/s for 5 minutes).

    .venv/bin/python bench/e2e_latency.py [--rate 100] [--duration 300] [--write-docs]

What it runs, all on loopback and bounded in time:

1. a private deployment (faults/stack.py): a throw-away PostgreSQL cluster and Redis server,
   a file lake with fsync on, gunicorn, one Celery worker (prefork) and beat, the production
   classifier (`ensure_classifier`, trained once into var/models as `make run` does);
2. a warm-up (not measured), then the simulator's open-loop schedule of signed Twilio, Vonage,
   Meta and X webhooks at the rate, each message's latency counted from its *scheduled* send
   time (no coordinated omission) to
   - its verdict: the classifier's tag on the message (complaint or not), and
   - for complaints, the warehouse row's creation;
3. while it runs, the RSS of the web and worker processes and the backlog of unprocessed
   events, sampled every 2 s;
4. afterwards, the durability check: every accepted message stored exactly once.

Prints one JSON document last; --write-docs replaces its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- e2e-bench:start -->", "<!-- e2e-bench:end -->"
RESULT_FILE = ROOT / "var" / "bench" / "e2e_latency.json"
WEBHOOKS = ("twilio", "vonage", "meta", "x")

from faults.run import ledger_summary  # noqa: E402
from faults.stack import Stack, StackConfig, running  # noqa: E402


def machine() -> dict[str, str]:
    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": f"{_cpus()} × {cpu}",
        "memory": f"{kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": subprocess.run(["postgres", "--version"], capture_output=True, text=True).stdout.strip()
        if shutil.which("postgres")
        else "",
        "redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2],
    }


def _cpus() -> int:
    return os.cpu_count() or 1


class Sampler(threading.Thread):
    """RSS of the web and worker process trees, and the backlog, every `interval` seconds."""

    def __init__(self, stack: Stack, interval: float = 2.0) -> None:
        super().__init__(daemon=True, name="sampler")
        self.stack, self.interval = stack, interval
        self.stop = threading.Event()
        self.samples: list[dict[str, float]] = []

    def _tree_mb(self, name: str) -> tuple[float, float]:
        """(largest single process, whole tree) in MB."""
        import psutil

        proc = self.stack.procs.get(name)
        if proc is None or proc.poll() is not None:
            return 0.0, 0.0
        try:
            root = psutil.Process(proc.pid)
            tree = [root, *root.children(recursive=True)]
            rss = [p.memory_info().rss / 2**20 for p in tree if p.is_running()]
        except psutil.Error:
            return 0.0, 0.0
        return max(rss, default=0.0), sum(rss)

    def run(self) -> None:
        from django.db import close_old_connections

        from ingestion.models import RawEvent

        while not self.stop.wait(self.interval):
            # The deliveries' server (gevent) when the stack has one, else the web server.
            web_max, web_total = self._tree_mb("webhooks" if "webhooks" in self.stack.procs else "web")
            worker_max, worker_total = self._tree_mb("worker")
            try:
                backlog = RawEvent.objects.filter(
                    status__in=(RawEvent.Status.RECEIVED, RawEvent.Status.PROCESSING)
                ).count()
            except Exception:
                close_old_connections()
                backlog = -1
            self.samples.append(
                {
                    "t": time.time(),
                    "web_max": web_max,
                    "web_total": web_total,
                    "worker_max": worker_max,
                    "worker_total": worker_total,
                    "backlog": backlog,
                }
            )

    def peak(self, key: str) -> float:
        return max((s[key] for s in self.samples), default=0.0)


def _pid_tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) used so far by each part of the stack and by this load generator.

    Processes that died (a task's child replaced) take their time with them, so the figures are
    lower bounds; over a steady run the pool keeps its processes.
    """
    import psutil

    trees: dict[str, list[Any]] = {}
    for name in ("web", "webhooks", "worker", "beat", "redis"):
        proc = stack.procs.get(name)
        trees[name] = _pid_tree(proc.pid) if proc is not None and proc.poll() is None else []
    pid_file = stack.pg_dir / "postmaster.pid"
    trees["postgres"] = _pid_tree(int(pid_file.read_text().split()[0])) if pid_file.exists() else []
    trees["load generator"] = [psutil.Process(os.getpid())]
    out: dict[str, float] = {}
    for name, tree in trees.items():
        total = 0.0
        for p in tree:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
        out[name] = total
    return out


def lean_sender(base_url: str, **kwargs: Any) -> Any:
    """The simulator's Sender (retries, backoff, outcome timings) with a cheaper HTTP client for
    the webhooks: http.client, one connection per thread, instead of requests."""
    import http.client
    from urllib.parse import urlsplit

    import requests

    from simulator.client import Sender

    class _Lean(Sender):
        def _once(self, d: Any) -> tuple[int, str]:
            if d.provider == "web_form":
                return super()._once(d)
            conn = getattr(self._local, "conn", None)
            if conn is None:
                parts = urlsplit(self.webhook_base_url)
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
                self._local.conn = conn
            try:
                # http.client reconnects by itself after a `Connection: close` answer (gunicorn's
                # sync workers close every connection).
                conn.request(d.method, d.path, body=d.body, headers=d.headers)
                response = conn.getresponse()
                response.read()
                return response.status, ""
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._local.conn = None
                raise requests.ConnectionError(f"{type(exc).__name__}: {exc}") from exc

    return _Lean(base_url, **kwargs)


def traffic(stack: Stack, *, rate: float, duration: float, seed: int) -> Any:
    """The simulator's open-loop schedule, with every request built and signed before the clock
    starts (TrafficRun builds them on the fly: ~3 ms of CPU a message, taken from the cores the
    system under test needs) and sent by lean_sender."""
    from concurrent.futures import ThreadPoolExecutor, wait

    from simulator.secrets import ProviderSecrets
    from simulator.traffic import Record, TrafficConfig, TrafficRun

    config = TrafficConfig(
        base_url=stack.base_url,
        webhook_base_url=stack.webhooks_url,
        rate=rate,
        duration=duration,
        providers=WEBHOOKS,
        duplicate_share=0.0,
        malformed_share=0.0,
        forged_share=0.0,
        workers=64,
        seed=seed,
        retry_window=30,
    )
    run = TrafficRun(config, ProviderSecrets.from_settings())
    run.sender = lean_sender(
        config.base_url,
        timeout=config.timeout,
        retry_window=config.retry_window,
        seed=config.seed,
        webhook_base_url=config.webhook_base_url,
    )
    slots = min(int(config.rate * config.duration), config.max_messages)
    prebuilt = [run.next_deliveries() for _ in range(slots)]  # not timed: signing, JSON, text generation

    def send(delivery: Any, scheduled_at: float) -> None:
        outcome = run.sender.send(delivery)
        with run._lock:
            run.result.records.append(Record(delivery, outcome, scheduled_at))

    futures = []
    run.result.started = time.time()
    start = time.monotonic()
    hard_stop = start + config.duration + 5.0
    with ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="sim") as pool:
        for i, deliveries in enumerate(prebuilt):
            due = start + i / config.rate
            now = time.monotonic()
            if now > hard_stop:
                break  # the machine could not keep up; never run past the window
            if due > now:
                time.sleep(due - now)
            scheduled_at = time.time()
            for d in deliveries:
                futures.append(pool.submit(send, d, scheduled_at))
        _, pending = wait(futures, timeout=config.retry_window + 2 * config.timeout + 10)
        run.sender.stop()
        for f in pending:
            f.cancel()
    run.result.finished = time.time()
    return run.result


def measure(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    stack = Stack(
        root,
        StackConfig(
            web_workers=args.web_workers,
            webhook_server=not args.webhooks_on_web,
            worker_concurrency=args.concurrency,
            worker_pool=args.pool,
            worker_prefetch=args.prefetch,
            postgres_options=args.pg_options,
            extra_env={"INGESTION_BATCH_SIZE": str(args.batch_size)},
        ),
    )
    stack.apply_env()
    import django

    django.setup()
    from simulator.verify import percentile, wait_until_settled

    try:
        with running(stack, model_dir=Path(args.model_dir) if args.model_dir else None):
            print(f"stack up: {stack.base_url}; warm-up {args.warmup:g} s", flush=True)
            wait_until_settled(traffic(stack, rate=args.rate, duration=args.warmup, seed=1), timeout=120)
            sampler = Sampler(stack)
            sampler.start()
            print(f"measuring: {args.rate:g} messages/s for {args.duration:g} s", flush=True)
            cpu_before = cpu_seconds(stack)
            load_before = os.getloadavg()[0]
            started = time.time()
            result = traffic(stack, rate=args.rate, duration=args.duration, seed=args.seed)
            sent_for = time.time() - started
            # A backlog drains at the worker's pace: wait for it (bounded), so that the durability
            # check counts messages, not a queue that was still being worked through.
            v = wait_until_settled(result, timeout=min(900.0, max(180.0, 2 * args.duration)))
            drained_for = time.time() - started
            cpu_after = cpu_seconds(stack)
            load_after = os.getloadavg()[0]
            ledger = ledger_summary()
            sampler.stop.set()
            sampler.join(timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    answers = [r.outcome.answered_at - r.outcome.sent_at for r in result.records if r.outcome.accepted]

    def dist(values: list[float]) -> dict[str, float]:
        return {f"p{q}_ms": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)} | {
            "max_ms": round(max(values, default=0.0) * 1000, 1),
            "n": len(values),
        }

    messages = len(result.accepted_expectations())
    cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0.0), 1) for name in cpu_after}
    return {
        "cpu_seconds": cpu,
        "cpu_ms_per_message": {name: round(1000 * used / max(messages, 1), 2) for name, used in cpu.items()},
        "wall_seconds": round(drained_for, 1),
        "cores": _cpus(),
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/e2e_latency.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "rate": args.rate,
        "duration_s": args.duration,
        "deliveries": len(result.records),
        "messages": messages,
        "achieved_messages_per_s": round(messages / sent_for, 1) if sent_for else 0.0,
        "http_accept": dist(answers),
        "verdict": dist(v.latencies),
        "warehouse": dist(v.complaint_latencies),
        "backlog_peak": int(sampler.peak("backlog")),
        "rss_mb": {
            "web_process_max": round(sampler.peak("web_max")),
            "web_total_max": round(sampler.peak("web_total")),
            "worker_process_max": round(sampler.peak("worker_max")),
            "worker_total_max": round(sampler.peak("worker_total")),
        },
        "server": {
            "gunicorn_workers": args.web_workers,
            "webhook_workers": stack.config.webhook_workers if stack.config.webhook_server else 0,
            "celery_concurrency": args.concurrency,
            "batch_size": args.batch_size,
            "celery_pool": args.pool,
            "prefetch_multiplier": args.prefetch or 1,
            "postgres_options": args.pg_options,
        },
        "model": f"the classifier in {args.model_dir}" if args.model_dir else "the production classifier",
        "ledger": ledger,
        "durability": {
            "accepted": v.accepted,
            "stored": v.stored,
            "complaints": v.complaints,
            "filtered": v.filtered,
            "lost": v.lost,
            "stored_twice": v.stored_twice,
        },
    }


def render(r: dict[str, Any], notes: str = "") -> str:
    m = r["machine"]
    w, verdict, http, rss = r["warehouse"], r["verdict"], r["http_accept"], r["rss_mb"]
    met = "met" if w["p95_ms"] < 1000 else "**not met**"
    return "\n".join(
        [
            START,
            "## End to end: webhook -> warehouse at a sustained rate (issue 9)",
            "",
            f"Measured {r['date']} with `{r['command']}` on {m['cpu']}, {m['memory']}, Linux {m['kernel']}, "
            f"Python {m['python']}, {m['postgresql']}, Redis {m['redis']} "
            "(load average, the stack's own included: any other work shows here: "
            f"{r['load_average'][0]:g} at the start, {r['load_average'][1]:g} at the end, on "
            f"{r['cores']} cores).",
            "",
            "A private stack on loopback (faults/stack.py): "
            + (
                f"the webhook server as deployed (gunicorn, {r['server']['webhook_workers']} gevent workers) taking "
                f"the deliveries, the web server (gunicorn {r['server']['gunicorn_workers']} sync workers) beside it, "
                if r["server"].get("webhook_workers")
                else f"gunicorn {r['server']['gunicorn_workers']} sync workers, "
            )
            + f"one Celery worker ({r['server'].get('celery_pool', 'prefork')} pool, concurrency "
            f"{r['server']['celery_concurrency']}, prefetch multiplier {r['server'].get('prefetch_multiplier', 1)}; "
            f"batches of up to {r['server'].get('batch_size', 1)} raw events), "
            "beat, PostgreSQL and Redis "
            "on the same two cores, the lake on the local file system with fsync on, "
            f"{r['model']}. "
            f"Load: the simulator's signed Twilio, Vonage, Meta and X webhooks, open loop at {r['rate']:g} messages/s "
            f"for {r['duration_s']:g} s ({r['deliveries']:,} requests, {r['messages']:,} messages; achieved "
            f"{r['achieved_messages_per_s']:g} messages/s). Latency counts from each message's scheduled send time.",
            "",
            "| from the scheduled send to | p50 ms | p95 ms | p99 ms | max ms | messages |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| the webhook's 2xx answer | {http['p50_ms']:,.1f} | {http['p95_ms']:,.1f} | {http['p99_ms']:,.1f} | "
            f"{http['max_ms']:,.1f} | {http['n']:,} |",
            f"| the classifier's verdict (every message) | {verdict['p50_ms']:,.1f} | {verdict['p95_ms']:,.1f} | "
            f"{verdict['p99_ms']:,.1f} | {verdict['max_ms']:,.1f} | {verdict['n']:,} |",
            f"| **the warehouse row (complaints)** | {w['p50_ms']:,.1f} | **{w['p95_ms']:,.1f}** | "
            f"{w['p99_ms']:,.1f} | {w['max_ms']:,.1f} | {w['n']:,} |",
            "",
            f"Aim: p95 under 1 s at 100 messages/s: {met}. Peak backlog (events received but not yet processed): "
            f"{r['backlog_peak']:,}.",
            "",
            f"Memory (peak RSS over the run): web {rss['web_process_max']} MB per gunicorn process, "
            f"{rss['web_total_max']} MB for the whole "
            + ("webhook server" if r["server"].get("webhook_workers") else "web tree")
            + f"; worker {rss['worker_process_max']} MB per Celery "
            f"process (the classifier loaded), {rss['worker_total_max']} MB for the whole worker tree.",
            "",
            "Where the cores went, from the first scheduled send until the last message was stored "
            f"({r['wall_seconds']:g} s wall, {r['cores'] * r['wall_seconds']:g} core-seconds available):",
            "",
            "| process | CPU s | CPU ms per message |",
            "| --- | ---: | ---: |",
            *(
                f"| {name} | {used:,.1f} | {r['cpu_ms_per_message'][name]:.2f} |"
                for name, used in r["cpu_seconds"].items()
            ),
            "",
            f"Durability after the run: {r['durability']['accepted']:,} accepted, {r['durability']['stored']:,} stored "
            f"({r['durability']['complaints']:,} complaints, {r['durability']['filtered']:,} tagged non-complaints), "
            f"not stored when the wait ended {r['durability']['lost']}, stored twice "
            f"{r['durability']['stored_twice']}; raw events in the ledger: {r['ledger']}.",
            "",
            ceiling(r),
            "",
            DESIGN,
            *([" ", notes] if notes else []),
            END,
        ]
    )


DESIGN = (
    "**How the worker keeps up** (ingestion/batch.py). Each `ingestion.process_raw_event` task claims its own "
    "raw event and up to `INGESTION_BATCH_SIZE - 1` others still waiting in `received` "
    "(`SELECT .. FOR UPDATE SKIP LOCKED`, oldest first) and handles them in one transaction: lake reads and "
    "adapters per event, then one `INSERT .. ON CONFLICT DO NOTHING` of every message, one classifier batch "
    "(`nlp.pipe`), the warehouse's bulk create, one `UPDATE` of the ledger rows. The tasks of the events a batch "
    "took find them locked or finished and return at once; at low load a batch is the task's own event alone, "
    "so nothing waits for a batch to fill; a task that found work keeps taking batches for up to "
    "`INGESTION_DRAIN_SECONDS` (2 s) while events wait. The worker's transactions commit with "
    "`synchronous_commit = off` (`SET LOCAL`, that transaction only): the raw bytes (lake, fsynced) and "
    "the ledger row (committed "
    "synchronously by the edge before its 2xx) are already durable and every step is idempotent, so a commit "
    "lost in a PostgreSQL crash leaves its events in `received` for the sweeper or a replay. Before this, each "
    "event cost about 16 SQL statements and 4 to 6 fsynced commits and the worker drained about 16 messages/s "
    "with 2 processes. A poison event rolls its batch back and the batch is done again one event per "
    "transaction, so it fails alone. The worker's processes keep their PostgreSQL connection from task to "
    "task (`complaintsite/celery_connections.py`); before, Celery's Django fixup closed it after every task "
    "and each event's task paid for a new server backend (at 100 messages/s: p95 23 s, backlog 2,212, "
    "system time 22-32% of the CPU, against 173 ms and 21 in the same 120 s run after the change). "
    "The load generator builds and signs every request before the clock "
    "starts and sends with `http.client` (before: requests, and building on the fly, 5.4 ms of CPU a message)."
)


def ceiling(r: dict[str, Any]) -> str:
    """What the measured CPU cost per message allows on this machine, whatever else runs."""
    per_message = sum(r["cpu_ms_per_message"].values())
    server = per_message - r["cpu_ms_per_message"].get("load generator", 0.0)
    return (
        f"All processes together spent {per_message:.1f} ms of CPU per message ({server:.1f} ms without the load "
        f"generator): {r['cores']} cores could carry at most about {1000 * r['cores'] / server:.0f} messages/s "
        "with nothing else running, before any waiting on disk."
    )


def write_docs(section: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOCS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second (max 500)")
    parser.add_argument("--duration", type=float, default=300.0, help="measured seconds (max 900)")
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--webhooks-on-web",
        action="store_true",
        help="send the deliveries to the web server (no webhook server of their own; for comparison)",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--model-dir", default="", help="a classifier directory (default: ensure_classifier's)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--pool", default="prefork", choices=("prefork", "solo", "threads"), help="Celery pool")
    parser.add_argument("--prefetch", type=int, default=0, help="Celery --prefetch-multiplier (0: settings)")
    parser.add_argument("--batch-size", type=int, default=50, help="INGESTION_BATCH_SIZE: events per worker batch")
    parser.add_argument("--pg-options", default="", help="extra PostgreSQL -c flags (experiments only)")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--notes", default="", help="markdown appended to the section (findings)")
    parser.add_argument("--render-from", default="", help=argparse.SUPPRESS)  # re-render a saved JSON result
    args = parser.parse_args()
    args.rate = min(args.rate, 500.0)
    args.duration = min(args.duration, 900.0)
    if args.render_from:
        result = json.loads(Path(args.render_from).read_text())
    else:
        result = measure(args)
        RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
        RESULT_FILE.write_text(json.dumps(result, indent=2))
    section = render(result, args.notes)
    print(section)
    if args.write_docs:
        write_docs(section)
    print(json.dumps(result))
    return 0 if result["durability"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
