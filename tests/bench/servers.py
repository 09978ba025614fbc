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

from tests.bench import proxy
from tests.bench.scenarios import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HIGH_LIMIT = "1000000000"  # far above anything the benchmark sends: it must never see a 429


def free_port() -> int:
    """A free loopback port: the kernel's choice, or the first free one of ``BENCH_PORTS`` ("18200-18299")
    when set, for machines where each user of loopback keeps to a range of its own."""
    low, _, high = os.environ.get("BENCH_PORTS", "").partition("-")
    for port in range(int(low), int(high) + 1) if low and high else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen = int(sock.getsockname()[1])
            if port == 0 or chosen not in _handed_out:
                _handed_out.add(chosen)
                return chosen
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


_handed_out: set[int] = set()  # ports given to servers not listening yet: a range must not repeat one


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


def start_floor(dsn: str, workers: int, params: Path, log_dir: Path, name: str = "floor") -> Server:
    """The hand floor (floor.py); ``params`` is the run's values as JSON."""
    return _uvicorn(name, "tests.bench.floor:app", workers, log_dir,
                    {"DATABASE_URL": dsn, "BENCH_FLOOR_PARAMS": str(params)})


def start_samesql(dsn: str, workers: int, plan: Path, log_dir: Path) -> Server:
    """The same-statements floor (samesql.py); ``plan`` is the recorded statements, pickled."""
    return _uvicorn("samesql", "tests.bench.samesql:app", workers, log_dir,
                    {"DATABASE_URL": dsn, "BENCH_SAMESQL_PLAN": str(plan)})


def _uvicorn(name: str, app: str, workers: int, log_dir: Path, env: dict[str, str]) -> Server:
    port = free_port()
    cmd = [str(BIN / "python"), "-m", "uvicorn", app, "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return Server(name, cmd, env, port, log_dir)


class ProxyProcess:
    """The delaying proxy (proxy.py) as a process of its own, so its threads share no GIL with the harness."""

    def __init__(self, upstream: str, delay_ms: float, log_dir: Path, max_seconds: float = 3600) -> None:
        self.port = free_port()
        self._log = open(log_dir / "proxy.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "tests.bench.proxy", "--upstream", upstream, "--port", str(self.port),
             "--delay-ms", str(delay_ms), "--max-seconds", str(max_seconds)],
            env=_base_env(), cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the proxy did not start; see {self._log.name}")

    def dsn(self, dsn: str) -> str:
        """``dsn`` through this proxy."""
        return proxy.via(dsn, self.port)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()
