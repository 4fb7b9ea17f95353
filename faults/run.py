"""`make faults`: a private stack under simulated traffic while its parts fail, then the count.

While signed webhooks, form posts and a call-log file flow in (10% re-delivered, 5% malformed),
the suite stops Redis for 30 s, SIGKILLs the Celery worker in the middle of tasks several
times, restarts PostgreSQL (immediate mode: a crash and WAL recovery), and makes the lake
read-only for 10 s. A supervisor loop restarts whatever dies, as systemd or Docker would.
Then it waits for the pipeline to settle, checks that every accepted message is stored exactly
once, and replays the lake over the run (which must add nothing). Exit status 1 when anything
accepted was lost or stored twice, a fault could not be injected, or the replay changed anything.

Everything runs on loopback against a PostgreSQL cluster and a Redis server this suite creates
for itself: the shared servers are never touched.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from faults.stack import ROOT, Stack, StackConfig, running


@dataclass
class Plan:
    rate: float = 15.0
    duration: float = 150.0
    redis_outage: float = 30.0
    lake_outage: float = 10.0
    kills: int = 4
    settle: float = 300.0
    # When each fault starts, as a share of the traffic's duration.
    at: dict[str, float] = field(default_factory=lambda: {"redis": 0.12, "postgres": 0.47, "lake": 0.58, "calls": 0.3})


QUICK = Plan(
    rate=8.0,
    duration=60.0,
    redis_outage=8.0,
    lake_outage=5.0,
    kills=2,
    settle=150.0,
    # Faults run one after another; the call-log job goes last so the others land while traffic flows.
    at={"redis": 0.1, "postgres": 0.35, "lake": 0.5, "calls": 0.85},
)


class Timeline:
    """Prints what happens as it happens, with the time since traffic started."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def log(self, text: str) -> None:
        line = f"[{time.monotonic() - self.start:6.1f}s] {text}"
        with self._lock:
            self.lines.append(line)
        print(line, flush=True)

    def wait_until(self, offset: float, stop: threading.Event) -> bool:
        """Sleep until `offset` seconds after the start; False if asked to stop first."""
        return not stop.wait(max(0.0, self.start + offset - time.monotonic()))


def _db_safe(query: Callable[[], int], default: int = 0) -> int:
    """The controller's own queries ride out the database restart like everything else."""
    from django.db import close_old_connections

    for _ in range(3):
        try:
            return query()
        except Exception:  # OperationalError/InterfaceError while PostgreSQL restarts
            close_old_connections()
            time.sleep(0.5)
    return default


def _in_flight() -> int:
    """Transactions open on the database that have taken a transaction id: a worker's batch holds
    its claimed raw events by row lock (ingestion/batch.py) and never commits `processing`, so the
    ledger's statuses cannot show a task in flight; a batch's lock does take an id. A web accept's
    one-statement transaction may be counted too, for the instant it lasts."""
    from django.db import connection

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
            )
            return int(cursor.fetchone()[0])

    return _db_safe(count)


def kill_worker_mid_task(stack: Stack, log: Timeline, n: int) -> None:
    # Wait (briefly) for a task to be running, so the kill lands in the middle of one.
    deadline = time.monotonic() + 8
    busy = _in_flight()
    while busy == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        busy = _in_flight()
    with stack.lock:
        stack.worker_kill()
        log.log(f"SIGKILL worker #{n} with {busy} transaction(s) open on the database")
        stack.worker_start()
    log.log(f"worker #{n} replaced")


def run_faults(stack: Stack, plan: Plan, log: Timeline, stop: threading.Event, injected: list[str]) -> None:
    d = plan.duration
    kill_times = [d * (0.06 + 0.8 * i / max(plan.kills, 1)) for i in range(plan.kills)]
    events: list[tuple[float, str]] = sorted(
        [(t, f"kill:{i + 1}") for i, t in enumerate(kill_times)]
        + [(d * plan.at["redis"], "redis"), (d * plan.at["postgres"], "postgres"), (d * plan.at["lake"], "lake")]
        + [(d * plan.at["calls"], "calls")]
    )
    for offset, what in events:
        if not log.wait_until(offset, stop):
            return
        try:
            inject(stack, plan, log, stop, what)
            injected.append(what.split(":")[0])
        except Exception as exc:  # a fault that could not be injected was not tested: say so, fail the run
            log.log(f"could not inject {what}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


def inject(stack: Stack, plan: Plan, log: Timeline, stop: threading.Event, what: str) -> None:
    if what.startswith("kill:"):
        kill_worker_mid_task(stack, log, int(what.split(":")[1]))
    elif what == "redis":
        stack.redis_stop()
        log.log(f"Redis stopped for {plan.redis_outage:.0f} s")
        stop.wait(plan.redis_outage)
        stack.redis_start()
        log.log("Redis started again")
    elif what == "postgres":
        stack.postgres_stop(mode="immediate")
        log.log("PostgreSQL stopped (immediate: no checkpoint, recovery from WAL)")
        stack.postgres_start()
        log.log("PostgreSQL started again")
    elif what == "lake":
        how = stack.lake_read_only()
        log.log(f"lake unwritable for {plan.lake_outage:.0f} s ({how})")
        try:
            stop.wait(plan.lake_outage)
        finally:
            stack.lake_writable()
        log.log("lake writable again")
    elif what == "calls":
        log.log("call-log job run by hand (the hourly beat job's command)")
        stack.manage("ingest_call_logs", timeout=300)
        log.log("call-log job finished")


def supervise(stack: Stack, log: Timeline, stop: threading.Event, restarts: list[str]) -> None:
    while not stop.wait(1.0):
        try:
            for name in stack.restart_dead():
                restarts.append(name)
                log.log(f"supervisor: {name} had exited by itself; restarted")
        except Exception as exc:  # a restart fails while Redis or PostgreSQL is down; try again next tick
            log.log(f"supervisor: restart failed ({type(exc).__name__}); retrying")


def ledger_summary() -> str:
    from collections import Counter

    from ingestion.models import RawEvent

    counts = Counter(RawEvent.objects.values_list("status", flat=True))
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))


def replay_changes_nothing(stack: Stack, since: str, log: Timeline) -> bool:
    """Rule 7: replaying the lake over the same stretch yields the same warehouse (no new rows)."""
    from ingestion.models import Message
    from warehouse.models import Complaint

    before = (Message.objects.count(), Complaint.objects.count())
    for source in ("sms", "social", "web_form"):
        out = stack.manage("replay_lake", "--source", source, "--since", since, timeout=600).strip()
        log.log(f"replay {out.splitlines()[-1][:160] if out else source}")
    after = (Message.objects.count(), Complaint.objects.count())
    log.log(f"messages/complaints before replay {before}, after {after}")
    return before == after


def quarantined(stack: Stack) -> int:
    return sum(1 for _ in (stack.lake_dir / "quarantine").rglob("*.reason.json")) if stack.lake_dir.exists() else 0


class Tee(io.TextIOBase):
    """Print as usual and keep a copy, for --write-docs."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


DOCS = ROOT / "docs" / "faults.md"
DOCS_START, DOCS_END = "<!-- faults-run:start -->", "<!-- faults-run:end -->"


def write_docs(output: str, argv: list[str]) -> None:
    """Replace the last-run section of docs/faults.md with this run's timeline and tables."""
    import platform

    lines = [line for line in output.splitlines() if not line.startswith(("fault suite: stack in", "logs and lake"))]
    section = "\n".join(
        [
            DOCS_START,
            "## The last recorded run",
            "",
            f"`{' '.join(['python -m faults', *argv])}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{os.cpu_count()} cores, Linux {platform.release()}, shared with other work:",
            "",
            "```text",
            *lines,
            "```",
            DOCS_END,
        ]
    )
    text = DOCS.read_text() if DOCS.exists() else "# Fault injection\n"
    if DOCS_START in text and DOCS_END in text:
        text = text[: text.index(DOCS_START)] + section + text[text.index(DOCS_END) + len(DOCS_END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        code = _main(argv)
    if "--write-docs" in argv:
        write_docs(tee.copy.getvalue(), [a for a in argv if a != "--write-docs"])
    return code


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="faults", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--write-docs", action="store_true", help="record this run in docs/faults.md")
    parser.add_argument("--quick", action="store_true", help="the short variant (about 3 minutes)")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--keep", action="store_true", help="keep the stack's folder (logs, lake) afterwards")
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    if args.rate:
        plan.rate = args.rate
    if args.duration:
        plan.duration = args.duration

    root = Path(tempfile.mkdtemp(prefix="faults-"))
    stack = Stack(root, StackConfig(web_workers=3, worker_concurrency=2))
    stack.apply_env()
    import django

    django.setup()
    from classification.testing import session_model_dir
    from simulator.report import latency_line, outcome_table, sent_table
    from simulator.secrets import ProviderSecrets
    from simulator.traffic import TrafficConfig, TrafficRun
    from simulator.verify import wait_until_settled

    started = time.monotonic()
    print(f"fault suite: stack in {root}", flush=True)
    # The durability checks do not need the production model: the test sessions' small one will do.
    model_dir = session_model_dir(ROOT / "var" / "test-models")
    code = 1
    try:
        with running(stack, model_dir=model_dir):
            print(
                f"stack up in {time.monotonic() - started:.0f} s: {stack.base_url}, webhooks {stack.webhooks_url} "
                f"(PostgreSQL :{stack.pg_port}, Redis :{stack.redis_port})",
                flush=True,
            )
            config = TrafficConfig(
                base_url=stack.base_url,
                webhook_base_url=stack.webhooks_url,
                rate=plan.rate,
                duration=plan.duration,
                duplicate_share=0.10,
                malformed_share=0.05,
                forged_share=0.01,
                workers=24,
                seed=args.seed,
                retry_window=plan.redis_outage + plan.lake_outage + 90,
            )
            traffic = TrafficRun(config, ProviderSecrets.from_settings())
            log = Timeline()
            since_iso = datetime.now(UTC).replace(microsecond=0).isoformat()
            stop = threading.Event()
            restarts: list[str] = []
            injected: list[str] = []
            helpers = [
                threading.Thread(target=run_faults, args=(stack, plan, log, stop, injected), name="faults"),
                threading.Thread(target=supervise, args=(stack, log, stop, restarts), name="supervisor", daemon=True),
            ]
            for t in helpers:
                t.start()
            log.log(f"traffic: {plan.rate:g} deliveries/s for {plan.duration:g} s")
            result = traffic.run()
            log.log("traffic finished (retries included)")
            helpers[0].join(timeout=plan.duration + 120)
            stack.manage("ingest_call_logs", timeout=300)  # the hourly job's next run; idempotent
            log.log(f"waiting up to {plan.settle:.0f} s for the pipeline to settle")
            verification = wait_until_settled(result, timeout=plan.settle)
            stop.set()
            log.log("settled" if verification.lost == 0 else "gave up waiting")
            replay_ok = replay_changes_nothing(stack, since_iso, log)
            print()
            print(sent_table(result))
            print()
            kept = quarantined(stack)
            print(outcome_table(result, verification, quarantined=kept))
            print("send -> verdict (during faults): " + latency_line(verification.latencies))
            print(f"raw events in the ledger: {ledger_summary()}")
            if restarts:
                # Worker and beat exit when the broker goes away (CELERY_BROKER_CONNECTION_MAX_RETRIES=0):
                # a process supervisor (compose's restart policy, systemd) must bring them back.
                print(f"processes that exited by themselves and were restarted: {', '.join(restarts)}")
            planned = {"kill": plan.kills, "redis": 1, "postgres": 1, "lake": 1, "calls": 1}
            missing = [f for f, n in planned.items() if injected.count(f) < n]
            if missing:
                print(f"faults NOT injected (so not tested): {', '.join(missing)}")
            if not replay_ok:
                print("replaying the lake changed the warehouse: replay is not idempotent")
            # Every refusal keeps its bytes (rule 5): each 400 has its copy in quarantine. (More
            # copies than 400s is fine: forms sent twice are kept there too.)
            answered_400 = sum(c.get("http_400", 0) for c in result.by_provider().values())
            unkept = max(0, answered_400 - kept)
            if unkept:
                print(f"{unkept} malformed deliveries were answered 400 without a copy in quarantine")
            bad = verification.lost + verification.stored_twice + unkept
            code = 0 if bad == 0 and verification.accepted > 0 and not missing and replay_ok else 1
            print(f"\nfault suite {'PASSED' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    finally:
        if args.keep or code != 0:
            print(f"logs and lake kept in {root}")
        else:
            with contextlib.suppress(Exception):
                shutil.rmtree(root)
    return code


if __name__ == "__main__":
    sys.exit(main())
