"""A real ``ticketgate serve`` for the observability tests: this checkout's code, loopback, free
ports, output to files, ready within a bound, stopped by its own PID (and its workers by theirs)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from tests.ops.procs import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 40.0
STOP_TIMEOUT = 15.0


class Served:
    def __init__(self, folder: Path, dsn: str, workers: int = 1, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr_path, self.stdout_path = folder / "stderr.log", folder / "stdout.log"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TICKETGATE_", "PYTEST_", "PROMETHEUS_")) and k != "DATABASE_URL"}
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=dsn, TICKETGATE_ADMIN_TOKEN="test-admin-token-0123456789",
                   TICKETGATE_DATA_DIR=str(folder / "data"), TICKETGATE_WEBHOOK_WORKER="false",
                   TICKETGATE_DEVELOPMENT="true", TICKETGATE_POOL_MIN_SIZE="1", TICKETGATE_POOL_MAX_SIZE="4")
        env.update({f"TICKETGATE_{k.upper()}": v for k, v in settings.items()})
        cmd = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(workers)]
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=out, stderr=err)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.stderr()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"serve not ready after {START_TIMEOUT}s:\n{self.stderr()[-3000:]}")

    def stop(self) -> int | None:
        """SIGTERM to our PID (uvicorn stops its workers); what is left of ours is killed by PID."""
        if self.proc.poll() is None:
            children: list[psutil.Process] = []
            with contextlib.suppress(psutil.NoSuchProcess):
                children = psutil.Process(self.proc.pid).children(recursive=True)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        return self.proc.returncode

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextlib.contextmanager
def serving(folder: Path, dsn: str, workers: int = 1, **settings: str) -> Iterator[Served]:
    server = Served(folder, dsn, workers, **settings)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
