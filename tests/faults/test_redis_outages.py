"""A redis-server of the test's own as the shared rate-limit storage of two `ticketgate serve`
processes, under a load of mixed GETs over the three dialects. Lost (SIGKILL, then restarted on
the same port) with rate_limit_on_storage_error = "open": every request is served, none slower
than the storage timeout plus a second, and counting resumes on the new server without restarting
ticketgate. Frozen (SIGSTOP by PID) with "closed": each dialect's own 503 with Retry-After, none
slower than the same bound, /readyz 503 while frozen, and 200s again after SIGCONT."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path

from tests.faults.load import Load, seed_keys
from tests.faults.test_database_outages import frozen_and_thawed, report
from tests.ops.procs import Proc, free_port, process_env, running, until, until_ready
from tests.ops.test_limiter_outages import redis_server

STORAGE_TIMEOUT, MARGIN = 0.2, 1.0  # rate_limit_storage_timeout; no request may take longer than both
REQUEST_TIMEOUT = 3.0  # the processes' request_timeout: the storage's own bound must come first
WORKERS, OUTAGE, RECOVERY = 12, 3.0, 8.0  # concurrent clients; seconds down/frozen; seconds to recover
PLENTY = 1_000_000  # per-key budgets the load cannot spend: only the storage's failures may refuse
LIMITS = {"dialects__ticketsmart__requests_per_minute": PLENTY,
          "dialects__tickettailor__requests_per_hour": PLENTY,
          **{f"dialects__equaticket__plan_requests_per_minute__{plan}": PLENTY
             for plan in ("free", "starter", "growth", "pro")}}


def keys_stored(port: int) -> int:
    """DBSIZE of the redis on ``port`` (0 when it does not answer): has anything been counted there?"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"DBSIZE\r\n")
            answer = conn.recv(64)
    except OSError:
        return 0
    return int(answer[1:].strip()) if answer.startswith(b":") else 0


@contextmanager
def two_serves(dsn: str, tmp_path: Path, storage: str, mode: str) -> Iterator[tuple[list[Proc], list[str]]]:
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        procs = [stack.enter_context(running(["serve"], process_env(
            dsn, tmp_path / f"data{n}", port=port, request_timeout=REQUEST_TIMEOUT, webhook_worker=False,
            rate_limit_storage=storage, rate_limit_on_storage_error=mode,
            rate_limit_storage_timeout=STORAGE_TIMEOUT, **LIMITS), tmp_path)) for n, port in enumerate(ports)]
        yield procs, [f"http://127.0.0.1:{port}" for port in ports]


@asynccontextmanager
async def loaded(dsn: str, tmp_path: Path, mode: str) -> AsyncIterator[tuple[subprocess.Popen[bytes], int, Load]]:
    """A redis-server of our own and, on it, two serve processes under load for the block (with
    the server's port; the block may kill or freeze it)."""
    port = free_port()
    keys = await seed_keys(dsn)
    with redis_server(port, tmp_path) as server, \
            two_serves(dsn, tmp_path, f"redis://127.0.0.1:{port}/0", mode) as (procs, bases):
        await asyncio.gather(*(until_ready(p, b) for p, b in zip(procs, bases, strict=True)))
        load = Load(bases, keys, REQUEST_TIMEOUT + MARGIN)
        task = asyncio.create_task(load.run(WORKERS))
        try:
            await asyncio.sleep(1.0)
            assert keys_stored(port) > 0, "the load was not counted on the redis-server"
            yield server, port, load
        finally:
            load.stopping = True
            await task
        for proc in procs:
            assert "Traceback" not in proc.output, proc.output


def assert_clean(load: Load, allowed: tuple[str, ...], since: float) -> None:
    wrong = [a for a in load.answers if a.kind not in allowed]
    assert not wrong, f"not {allowed}: {wrong[:5]}"
    longest = max(a.seconds for a in load.answers)
    assert longest <= STORAGE_TIMEOUT + MARGIN, f"a request took {longest:.3f} s"
    assert all(a.kind == "200" for a in load.between(since, time.monotonic())), "failures after recovery"


async def test_redis_lost_and_restarted_open(fresh_dsn: str, tmp_path: Path) -> None:
    async with loaded(fresh_dsn, tmp_path, "open") as (server, port, load):
        lost = time.monotonic()
        server.kill()
        server.wait(timeout=10)
        await asyncio.sleep(OUTAGE)
        with redis_server(port, tmp_path):  # back, empty (it kept nothing on disk)
            back = time.monotonic()
            await until(lambda: keys_stored(port) > 0, RECOVERY, "counted again on the restarted redis")
            counted = time.monotonic() - back
            await asyncio.sleep(1.0)
            load.stopping = True  # before this server goes too
    figures = {**load.figures(), "while_lost": load.figures(lost, back),
               "counted_again_s_after_restart": round(counted, 2)}
    report(tmp_path, "redis_kill_restart_open", figures)
    assert_clean(load, ("200",), back)
    assert figures["while_lost"]["requests"] > 0


async def test_redis_frozen_closed(fresh_dsn: str, tmp_path: Path) -> None:
    async with loaded(fresh_dsn, tmp_path, "closed") as (server, port, load):
        frozen, thawed, ready, settled = await frozen_and_thawed(
            lambda: server.send_signal(signal.SIGSTOP), lambda: server.send_signal(signal.SIGCONT), load, OUTAGE)
        load.stopping = True
    figures = {**load.figures(), "while_frozen": load.figures(frozen, thawed), "readyz_while_frozen": ready,
               "recovered_s_after_thaw": round(load.recovered(thawed) or -1, 2)}
    report(tmp_path, "redis_freeze_closed", figures)
    assert_clean(load, ("200", "503"), settled)
    assert all(status == 503 and took <= STORAGE_TIMEOUT * 2 + MARGIN for status, took in ready), ready
    during = load.between(frozen + STORAGE_TIMEOUT * 2 + 0.1, thawed)  # after requests in flight ended
    assert during and all(a.kind == "503" for a in during), load.figures(frozen, thawed)

