"""Servers under test as subprocesses on 127.0.0.1: started on free ports, stopped by their PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from tests.bench.scenarios import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HIGH_LIMIT = "1000000000"  # far above anything the benchmark sends: it must never see a 429


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gateway_env(dsn: str, *, limits: bool = True, metrics: bool = True) -> dict[str, str]:
    """ticketgate's settings for the benchmark, as environment overrides (what an operator sets)."""
    env = {
        "DATABASE_URL": dsn,
        "TICKETGATE_ADMIN_TOKEN": ADMIN_TOKEN,
        "TICKETGATE_LOG_LEVEL": "warning",  # no access log line per request, in ticketgate and the floor
        "TICKETGATE_RATE_LIMITS_ENABLED": "true" if limits else "false",
        "TICKETGATE_METRICS": "main" if metrics else "off",  # main: as served by default
        "TICKETGATE_DIALECTS__TICKETSMART__REQUESTS_PER_MINUTE": HIGH_LIMIT,
        "TICKETGATE_DIALECTS__TICKETTAILOR__REQUESTS_PER_HOUR": HIGH_LIMIT,
    }
    for plan in ("free", "starter", "growth", "pro"):
        env[f"TICKETGATE_DIALECTS__EQUATICKET__PLAN_REQUESTS_PER_MINUTE__{plan.upper()}"] = HIGH_LIMIT
    return env


def _base_env() -> dict[str, str]:
    """The caller's environment without ticketgate settings; servers import the code of this tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETGATE_") and k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    return env


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, log_dir: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env={**_base_env(), **env}, cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self._log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self._log.name}")

    def workers(self) -> list[psutil.Process]:
        """The processes that serve requests: the children of a multi-worker server, else itself."""
        parent = psutil.Process(self.proc.pid)
        children = [c for c in parent.children() if "multiprocessing.resource_tracker" not in " ".join(c.cmdline())]
        return children or [parent]

    def cpu_seconds(self) -> float:
        """User + system CPU the serving processes have used so far."""
        return sum(sum(p.cpu_times()[:2]) for p in self.workers())

    def rss_mb(self) -> list[float]:
        return [round(p.memory_info().rss / 2**20, 1) for p in self.workers()]

    def stop(self) -> None:
        """SIGTERM the server's PID (uvicorn stops its workers), then SIGKILL what is left of ours."""
        if self.proc.poll() is None:
            children = psutil.Process(self.proc.pid).children(recursive=True)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self._log.close()


def start_gateway(name: str, dsn: str, workers: int, log_dir: Path, *, limits: bool = True,
                  metrics: bool = True) -> Server:
    port = free_port()
    cmd = [str(BIN / "ticketgate"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers)]
    return Server(name, cmd, gateway_env(dsn, limits=limits, metrics=metrics), port, log_dir)


def start_floor(dsn: str, workers: int, plan: Path, log_dir: Path) -> Server:
    port = free_port()
    cmd = [str(BIN / "python"), "-m", "uvicorn", "tests.bench.floor:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return Server("floor", cmd, {"DATABASE_URL": dsn, "BENCH_FLOOR_PLAN": str(plan)}, port, log_dir)


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()
