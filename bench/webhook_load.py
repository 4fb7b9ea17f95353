"""Load and measurement for the webhook benchmark: gunicorn, wrk rounds, the open-loop run and
server CPU accounting. Loopback only; every run is bounded by its duration."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from webhook_common import BODY, DB_NAME, PG_DSN, ROOT, SIGNATURE, VENV_BIN

# Scheduling priority for the run's own processes on a machine shared with other work: the
# driver takes it first, so gunicorn, wrk and the step-cost child inherit it; the bench
# database's PostgreSQL backends get it explicitly. 0 leaves everything alone.
PRIORITY = 0


def raise_priority(pids: list[int]) -> None:
    import psutil

    if not PRIORITY:
        return
    for pid in pids:
        try:
            psutil.Process(pid).nice(-PRIORITY)
        except psutil.Error:
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, worker_class: str = "gevent"
) -> subprocess.Popen[bytes]:
    """gevent: the webhook server as deployed (complaintsite/gunicorn_webhooks.py); gthread: the
    site's server (docker-compose's `web`), `threads` per worker."""
    if worker_class == "gevent":
        command = [
            str(VENV_BIN / "gunicorn"),
            "complaintsite.wsgi:application",
            "-c",
            "python:complaintsite.gunicorn_webhooks",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
    else:
        command = [
            str(VENV_BIN / "gunicorn"),
            "complaintsite.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "5",
            # The app is imported once, before the fork: every worker is ready when the port opens.
            "--preload",
            "--log-level",
            "warning",
        ]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = "{signature}"
"""


def wrk(url: str, *, duration: int, connections: int, script: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    completed = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _wrk_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _wrk_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "completed": completed,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def _wrk_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class ServerCpu:
    """CPU seconds used by the server side of one URL's load: gunicorn (master and workers) and the
    PostgreSQL backends serving the bench database. Unlike req/s this barely moves when other
    work shares the machine, so it is the steadier way to compare the two URLs."""

    def __init__(self, gunicorn_pid: int) -> None:
        self.gunicorn_pid = gunicorn_pid

    def _pids(self) -> dict[int, str]:
        import psutil
        import psycopg2

        root = psutil.Process(self.gunicorn_pid)
        pids = {pid: "gunicorn" for pid in (root.pid, *(child.pid for child in root.children(recursive=True)))}
        conn = psycopg2.connect(f"{PG_DSN}/postgres")
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME])
            pids.update({row[0]: "postgres" for row in cur.fetchall()})
        conn.close()
        return pids

    def snapshot(self) -> dict[int, tuple[str, float]]:
        import psutil

        times = {}
        for pid, group in self._pids().items():
            try:
                cpu = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            times[pid] = (group, cpu.user + cpu.system)
        return times

    @staticmethod
    def used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
        groups: dict[str, float] = {"gunicorn": 0.0, "postgres": 0.0}
        for pid, (group, seconds) in after.items():
            groups[group] += seconds - before.get(pid, (group, 0.0))[1]
        return groups


async def open_loop(url: str, *, rate: int, duration: int) -> dict[str, Any]:
    """Requests sent on a fixed schedule; latency counts from the scheduled time, so a stall shows."""
    import aiohttp

    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": SIGNATURE}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    total = rate * duration
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def one(scheduled: float) -> None:
            async with session.post(url, data=BODY, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - scheduled)

        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "rate": rate,
        "sent": total,
        "statuses": statuses,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }
