"""Start and stop the service the production way (gunicorn ``wsgi:app``), and count CPU time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
READY_PATH = "/static/css/kiosk.css"
GEVENT_CONNECTIONS = 5000


@dataclass(frozen=True)
class WorkerConfig:
    """A gunicorn worker set-up: class (sync, gthread or gevent), processes and threads per
    process (gthread only)."""

    worker_class: str
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        """Short name for tables: ``sync×3`` or ``gthread×2×4``."""
        if self.worker_class == "gthread":
            return f"gthread×{self.workers}×{self.threads}"
        return f"{self.worker_class}×{self.workers}"

    @property
    def streams(self) -> bool:
        """Whether the app offers live streams under this set-up (BALLOT_LIVE_STREAM=auto)."""
        return self.worker_class == "gevent"


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str, secret: str, key_secret: str) -> dict[str, str]:
    """The production configuration the server and the in-process seeding share."""
    env = dict(os.environ)
    env.update({"BALLOT_CONFIG": "production", "BALLOT_SECRET_KEY": secret,
                "BALLOT_KEY_SECRET": key_secret, "BALLOT_DATABASE_URL": database_url,
                # Loopback HTTP without TLS: the browser-only Secure flag would drop the cookies.
                "BALLOT_SECURE_COOKIES": "0"})
    return env


class Server:
    """A gunicorn process tree on 127.0.0.1 serving ``wsgi:app``."""

    def __init__(self, config: WorkerConfig, env: dict[str, str], log_path: Path):
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(Path(sys.executable).parent / "gunicorn"), "wsgi:app",
                   "--bind", f"127.0.0.1:{self.port}", "--workers", str(config.workers),
                   "--worker-class", config.worker_class, "--threads", str(config.threads),
                   "--backlog", "4096", "--timeout", "120", "--keep-alive", "5",
                   "--log-level", "warning"]
        if config.worker_class == "gevent":  # every screen holds a stream open
            command += ["--worker-connections", str(GEVENT_CONNECTIONS)]
        with open(log_path, "ab") as log:  # the app logs unexpected errors to stderr
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                            start_new_session=True)
        self._wait_ready(log_path)

    def _wait_ready(self, log_path: Path, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log_path}")
            try:
                with urllib.request.urlopen(self.url + READY_PATH, timeout=2) as response:
                    if response.status == 200 and len(self.pids()) > self.config.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn not ready after {limit:.0f} s: see {log_path}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid, *map(int, children)]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its workers."""
        return sum(process_cpu(pid) for pid in self.pids())

    def stop(self) -> None:
        """SIGTERM the master (graceful), SIGKILL its group if it has not gone after 20 s."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu(database: str) -> float:
    """CPU seconds used so far by PostgreSQL for ``database``: its client backends and the
    shared background processes (WAL writer, checkpointer …), not other databases' backends."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f" {database} " in title or "(" not in title:
                total += process_cpu(int(entry.name))
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / TICKS, total / TICKS
