"""Real `ticketgate` processes for the lifecycle tests: started from this checkout on loopback,
their output collected by a thread (so a test can wait for a log line without blocking), stopped
by their own PID."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def process_env(dsn: str, data_dir: Path, **settings: object) -> dict[str, str]:
    """This checkout on the path, the test run's own settings out of the way, ``settings`` as
    TICKETGATE_<FIELD> variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TICKETGATE_", "PYTEST_")) and k not in ("DATABASE_URL", "PYTHONPATH")}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=dsn, TICKETGATE_DATA_DIR=str(data_dir),
               TICKETGATE_LOG_LEVEL="info")
    env.update({f"TICKETGATE_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in settings.items()})
    return env


class Proc:
    """A `ticketgate <args>` subprocess and the lines it has written so far (stdout + stderr)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.args = args
        self.lines: list[str] = []
        self.popen = subprocess.Popen([sys.executable, "-c", "from gateway.cli import main; main()", *args],
                                      cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def terminate(self) -> float:
        """SIGTERM, by PID; the monotonic time it was sent."""
        self.popen.send_signal(signal.SIGTERM)
        return time.monotonic()

    async def exit_code(self, timeout: float) -> int:
        """The exit code, waited for up to ``timeout`` seconds (without blocking the loop)."""
        await until(lambda: self.popen.poll() is not None, timeout, f"{self.args[0]} did not exit")
        self._reader.join(5)
        return self.popen.returncode

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self._reader.join(5)

    async def until_logged(self, text: str, timeout: float = START_TIMEOUT) -> None:
        await until(lambda: any(text in line for line in self.lines), timeout,
                    f"{self.args[0]} never logged {text!r}", self)


async def until(check: Callable[[], bool], timeout: float, message: str, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.popen.poll() is not None:
            raise AssertionError(f"{message}: exited {proc.popen.returncode}\n{proc.output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout} s" + (f"\n{proc.output}" if proc else ""))
        await asyncio.sleep(0.05)


async def until_ready(proc: Proc, base: str, timeout: float = START_TIMEOUT) -> None:
    """Until ``/readyz`` answers 200 (the lifespan ran: pool, migrations, worker)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while True:
            if proc.popen.poll() is not None:
                raise AssertionError(f"serve exited {proc.popen.returncode}\n{proc.output}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve not ready within {timeout} s\n{proc.output}")
            await asyncio.sleep(0.1)


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[Proc]:
    """The process for the block; killed (by its PID) if the block left it running."""
    proc = Proc(args, env, cwd)
    try:
        yield proc
    finally:
        proc.kill()
        print(f"--- ticketgate {' '.join(args)} (rc {proc.popen.returncode}) ---\n{proc.output}")
