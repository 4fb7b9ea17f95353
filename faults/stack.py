"""A whole private deployment on loopback: PostgreSQL, Redis, a file lake, gunicorn, a Celery
worker and beat, each a process this module started and can stop, kill or restart.

Private on purpose: the fault suite stops Redis and restarts PostgreSQL, which must never touch
the shared servers other people's tests use. PostgreSQL is a throw-away cluster made with
initdb on a free port (run as the `postgres` user when we are root); Redis is a second
redis-server on a free port. Every process runs in a session of its own, so stopping one means
signalling its process group, never anything found by name.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout:.0f}s")


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise FileNotFoundError(f"{name} not found (install postgresql)")
    return candidates[-1]


@dataclass
class StackConfig:
    web_workers: int = 3
    web_threads: int = 1
    # The providers' deliveries on a server of their own, as deployed (docker compose's
    # `webhooks`: gevent workers); False sends them to the web server with everything else.
    webhook_server: bool = True
    webhook_workers: int = 2
    worker_concurrency: int = 2
    worker_pool: str = "prefork"  # celery --pool: prefork, solo or threads (the bench compares them)
    worker_prefetch: int = 0  # celery --prefetch-multiplier; 0: the settings' (1)
    beat: bool = True
    sweeper_grace_seconds: int = 10
    visibility_timeout: int = 30  # how soon Redis hands a killed worker's unacked task to another
    lake_fsync: bool = True
    postgres_options: str = ""  # extra `-c name=value` flags, for experiments (e.g. synchronous_commit=off)
    extra_env: dict[str, str] = field(default_factory=dict)


class Stack:
    def __init__(self, root: Path, config: StackConfig | None = None) -> None:
        self.root = root
        self.config = config or StackConfig()
        self.logs = root / "logs"
        self.pg_dir = root / "pg"
        self.redis_dir = root / "redis"
        self.lake_dir = root / "lake"
        self.var_dir = root / "var"
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.web_port = free_port()
        self.webhooks_port = free_port()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # Held while a process is being killed or started, so that the supervisor loop and a
        # fault never both replace the same worker.
        self.lock = threading.RLock()
        self._worker_serial = 0
        self._lake_mounted = False
        self._immutable = False
        self.as_postgres = os.geteuid() == 0
        self.secret_key = "faults-" + secrets.token_urlsafe(40)
        self.secrets = {
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "VONAGE_SIGNATURE_SECRET": secrets.token_urlsafe(24),
            "VONAGE_SIGNATURE_METHOD": "sha256",
            "META_APP_SECRET": secrets.token_hex(16),
            "META_VERIFY_TOKEN": secrets.token_urlsafe(12),
            "X_CONSUMER_SECRET": secrets.token_urlsafe(36),
        }

    # -- environment -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def webhooks_url(self) -> str:
        """Where the providers' deliveries go: the webhook server, or the web server without one."""
        return f"http://127.0.0.1:{self.webhooks_port}" if self.config.webhook_server else self.base_url

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.pg_port}/complaints"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PROMETHEUS_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "complaintsite.settings.base",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "DATABASE_URL": self.database_url,
                "DB_CONN_MAX_AGE": "60",
                "REDIS_URL": self.redis_url,
                "LAKE_URL": self.lake_dir.as_uri(),
                "LAKE_FSYNC": "true" if self.config.lake_fsync else "false",
                "VAR_DIR": str(self.var_dir),
                "CLASSIFIER_MODEL_DIR": os.environ.get("CLASSIFIER_MODEL_DIR") or str(ROOT / "var" / "models"),
                "SECURE_COOKIES": "false",  # plain HTTP on loopback: the form's CSRF cookie must come back
                "SWEEPER_GRACE_SECONDS": str(self.config.sweeper_grace_seconds),
                "CELERY_VISIBILITY_TIMEOUT": str(self.config.visibility_timeout),
                "PROMETHEUS_MULTIPROC_DIR": str(self.var_dir / "prometheus"),
                "LOG_LEVEL": "WARNING",
                "EMAIL_URL": "dummy://",
                "PYTHONUNBUFFERED": "1",
                **self.secrets,
                **self.config.extra_env,
            }
        )
        env.pop("TEST_DATABASE_NAME", None)
        return env

    def apply_env(self) -> None:
        """Point this (controller) process at the stack, before django.setup()."""
        os.environ.update(self.env())

    # -- processes ---------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env or self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs[name] = proc
        return proc

    def _signal(self, name: str, sig: int) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group this module created with start_new_session

    def _stop(self, name: str, *, timeout: float = 20.0) -> None:
        proc = self.procs.get(name)
        if proc is None:
            return
        self._signal(name, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(name, signal.SIGKILL)
            proc.wait(timeout=10)

    def _run(
        self, argv: list[str], *, as_postgres: bool = False, timeout: float = 300, env: dict[str, str] | None = None
    ) -> str:
        if as_postgres and self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv[:6])} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    # -- PostgreSQL --------------------------------------------------------------------------
    def postgres_init(self) -> None:
        self.pg_dir.mkdir(parents=True)
        self.root.chmod(0o755)  # the postgres user must reach its data directory
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.pg_dir, user.pw_uid, user.pw_gid)
        self._run(
            [
                _pg_bin("initdb"),
                "-D",
                str(self.pg_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            as_postgres=True,
            timeout=120,
        )
        self.postgres_start()
        self._run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "complaints"])

    def postgres_start(self) -> None:
        options = (
            f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.pg_dir} "
            "-c max_connections=200 -c shared_buffers=128MB " + self.config.postgres_options
        )
        self._run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(self.pg_dir),
                "-l",
                str(self.pg_dir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            as_postgres=True,
            timeout=90,
        )

    def postgres_stop(self, *, mode: str = "fast") -> None:
        self._run(
            [_pg_bin("pg_ctl"), "-D", str(self.pg_dir), "-m", mode, "-w", "-t", "60", "stop"],
            as_postgres=True,
            timeout=90,
        )

    def postgres_running(self) -> bool:
        return (self.pg_dir / "postmaster.pid").exists()

    # -- Redis -------------------------------------------------------------------------------
    def redis_start(self) -> None:
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        # The broker a production deployment should have: an append-only file, so that tasks
        # queued before a Redis restart are still there after it.
        self._spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--dir",
                str(self.redis_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
        )
        wait_for(lambda: port_open(self.redis_port), timeout=20, what="redis")

    def redis_stop(self) -> None:
        self._stop("redis")

    # -- the application -----------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 600) -> str:
        return self._run([sys.executable, "manage.py", *args], env=self.env(), timeout=timeout)

    def web_start(self) -> None:
        cfg = self.config
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "complaintsite.wsgi",
            "-c",
            "python:monitoring.gunicorn_conf",  # as deployed: per-process metrics cleaned up on exit
            "--bind",
            f"127.0.0.1:{self.web_port}",
            "--workers",
            str(cfg.web_workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ]
        if cfg.web_threads > 1:
            argv += ["--threads", str(cfg.web_threads), "--worker-class", "gthread"]
        self._spawn("web", argv)
        wait_for(self._web_ready, timeout=60, what="gunicorn")

    def webhooks_start(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "complaintsite.wsgi",
            "-c",
            "python:complaintsite.gunicorn_webhooks",  # as deployed: gevent workers
            "--bind",
            f"127.0.0.1:{self.webhooks_port}",
            "--workers",
            str(self.config.webhook_workers),
            "--graceful-timeout",
            "5",
        ]
        self._spawn("webhooks", argv)
        wait_for(self._webhooks_ready, timeout=60, what="gunicorn (webhooks)")

    def _webhooks_ready(self) -> bool:
        try:
            # A GET on a POST-only endpoint: 405 once Django answers (404 if Twilio is switched off).
            return requests.get(self.webhooks_url + "/webhooks/twilio/sms/", timeout=2).status_code in (405, 404)
        except requests.RequestException:
            return False

    def _web_ready(self) -> bool:
        try:
            return requests.get(self.base_url + "/complaints/new/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker_start(self) -> str:
        self._worker_serial += 1
        name = f"worker{self._worker_serial}"
        self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "complaintsite",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.config.worker_concurrency}",
                f"--pool={self.config.worker_pool}",
                *([f"--prefetch-multiplier={self.config.worker_prefetch}"] if self.config.worker_prefetch else []),
                "-n",
                f"faults{self._worker_serial}@%h",
                "--without-gossip",
                "--without-mingle",
                "-O",
                "fair",
            ],
        )
        wait_for(
            lambda: b"ready." in (self.logs / f"{name}.log").read_bytes() or self.procs[name].poll() is not None,
            timeout=120,
            what=f"{name} ready",
        )
        if self.procs[name].poll() is not None:
            raise RuntimeError(f"{name} exited; see {self.logs / f'{name}.log'}")
        self.procs["worker"] = self.procs[name]
        return name

    def worker_kill(self) -> None:
        """SIGKILL the worker and its pool children at once: no warm shutdown, no acks."""
        self._signal("worker", signal.SIGKILL)
        proc = self.procs.get("worker")
        if proc is not None:
            proc.wait(timeout=10)

    def beat_start(self) -> None:
        self._spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "complaintsite",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.var_dir / "celerybeat-schedule"),
            ],
        )

    def restart_dead(self) -> list[str]:
        """What a process supervisor does: start again whatever exited. Returns what it restarted."""
        restarted = []
        with self.lock:
            starts = (
                ("web", self.web_start),
                ("webhooks", self.webhooks_start),
                ("worker", self.worker_start),
                ("beat", self.beat_start),
            )
            for name, start in starts:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    start()
                    restarted.append(name)
        return restarted

    # -- the lake --------------------------------------------------------------------------------
    def lake_read_only(self) -> str:
        """Make the lake refuse writes (reads still work). Returns how."""
        if os.geteuid() != 0:
            for path in self._lake_dirs():
                path.chmod(0o555)
            return "directories chmod 555"
        # Permissions do not stop root: a read-only bind mount of the lake over itself does.
        self._run(["mount", "--bind", str(self.lake_dir), str(self.lake_dir)])
        self._lake_mounted = True
        for _ in range(60):
            # EBUSY while a file on it is open for writing (a lake write in flight): try again.
            done = subprocess.run(["mount", "-o", "remount,ro,bind", str(self.lake_dir)], capture_output=True)
            if done.returncode == 0:
                return "read-only bind mount"
            time.sleep(0.05)
        # Still busy: immutable directories refuse new entries, to root as well.
        self._immutable = True
        self._run(["chattr", "+i", *map(str, self._lake_dirs())])
        return "chattr +i on every lake directory"

    def _lake_dirs(self) -> list[Path]:
        return [self.lake_dir, *(p for p in self.lake_dir.rglob("*") if p.is_dir())]

    def lake_writable(self) -> None:
        if self._immutable:
            self._run(["chattr", "-i", *map(str, self._lake_dirs())])
            self._immutable = False
        if self._lake_mounted:
            self._run(["umount", str(self.lake_dir)])
            self._lake_mounted = False
            return
        if os.geteuid() != 0:
            for path in self._lake_dirs():
                path.chmod(0o755)

    # -- all of it ---------------------------------------------------------------------------------
    def start(self, *, model_dir: Path | None = None) -> None:
        """Everything up, in dependency order. With `model_dir`, the classifier found there is used;
        without, `ensure_classifier` trains the default model if none is promoted yet."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.lake_dir.mkdir(parents=True, exist_ok=True)
        if model_dir is not None:
            self.config.extra_env["CLASSIFIER_MODEL_DIR"] = str(model_dir)
        self.postgres_init()
        self.redis_start()
        self.manage("migrate", "--noinput")
        if model_dir is None:
            self.manage("ensure_classifier", timeout=1800)
        self.web_start()
        if self.config.webhook_server:
            self.webhooks_start()
        self.worker_start()
        if self.config.beat:
            self.beat_start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.lake_writable()
        for name in ("beat", "web", "webhooks", *sorted(n for n in self.procs if n.startswith("worker")), "redis"):
            with contextlib.suppress(Exception):
                self._stop(name)
        if self.postgres_running():
            with contextlib.suppress(Exception):
                self.postgres_stop(mode="immediate")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def running(stack: Stack, *, model_dir: Path | None = None) -> Iterator[Stack]:
    """A started stack, always stopped afterwards (also on Ctrl-C and SIGTERM)."""
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start(model_dir=model_dir)
        yield stack
    finally:
        stack.stop()
        signal.signal(signal.SIGTERM, previous)
