"""A PostgreSQL of the test's own stopped (pg_ctl stop -m fast) and restarted under a load of mixed
GETs over the three dialects and two `ticketgate serve` processes: every answer is 200 or the
dialect's own 503 with Retry-After, none past request_timeout, no traceback logged, and requests
succeed again within seconds of the restart without restarting ticketgate. Frozen (SIGSTOP of the
postmaster and its backends, by PID): the same, and /readyz answers 503 within its 2 s bound."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from core.db import create_database, migrate
from tests.faults.load import Load, seed_keys
from tests.faults.pg import PrivateServer, private_postgres
from tests.ops.procs import Proc, free_port, process_env, running, until, until_ready

REQUEST_TIMEOUT, MARGIN = 3.0, 1.0  # request_timeout of the processes; what a hang is past it
WORKERS, OUTAGE, RECOVERY = 12, 5.0, 8.0  # concurrent clients; seconds down; seconds allowed to recover
FREEZE, READY_BOUND = 6.0, 2.5  # seconds SIGSTOPped; /readyz's bound (2 s) plus a margin


@contextmanager
def two_serves(dsn: str, tmp_path: Path) -> Iterator[tuple[list[Proc], list[str]]]:
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        procs = [stack.enter_context(running(["serve"], process_env(
            dsn, tmp_path / f"data{n}", port=port, request_timeout=REQUEST_TIMEOUT, rate_limits_enabled=False,
            webhook_worker=False), tmp_path)) for n, port in enumerate(ports)]
        yield procs, [f"http://127.0.0.1:{port}" for port in ports]


@asynccontextmanager
async def loaded(tmp_path: Path) -> AsyncIterator[tuple[PrivateServer, Load, list[Proc]]]:
    """A private PostgreSQL, migrated and seeded; two serve processes on it, under load for the block."""
    with private_postgres() as pg:
        dsn = await create_database(pg.dsn, "ticketgate")
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        keys = await seed_keys(dsn)
        with two_serves(dsn, tmp_path) as (procs, bases):
            await asyncio.gather(*(until_ready(p, b) for p, b in zip(procs, bases, strict=True)))
            load = Load(bases, keys, REQUEST_TIMEOUT + MARGIN)
            task = asyncio.create_task(load.run(WORKERS))
            try:
                await asyncio.sleep(1.0)
                yield pg, load, procs
            finally:
                load.stopping = True
                await task


def report(tmp_path: Path, name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: {figures}")
    (tmp_path / f"{name}.json").write_text(json.dumps(figures))


def assert_clean(load: Load, procs: list[Proc], since: float) -> None:
    wrong = [a for a in load.answers if a.kind not in ("200", "503")]
    assert not wrong, f"not 200 nor the dialect's 503: {wrong[:5]}"
    assert max(a.seconds for a in load.answers) <= REQUEST_TIMEOUT + MARGIN
    assert all(a.kind == "200" for a in load.between(since, time.monotonic())), "failures after recovery"
    for proc in procs:
        assert "Traceback" not in proc.output, proc.output


async def test_postgres_stopped_and_restarted_under_load(tmp_path: Path) -> None:
    async with loaded(tmp_path) as (pg, load, procs):
        stopped = time.monotonic()
        await asyncio.to_thread(pg.stop)
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(pg.start)
        started = time.monotonic()
        await until(lambda: load.recovered(started) is not None, RECOVERY, "200s again after the restart")
        await asyncio.sleep(1.0)
        settled = time.monotonic() - 0.8
    figures = {**load.figures(), "while_down": load.figures(stopped, started),
               "recovered_s_after_restart": round(load.recovered(started) or -1, 2)}
    report(tmp_path, "postgres_stop_restart", figures)
    assert_clean(load, procs, settled)
    assert any(a.kind == "503" for a in load.between(stopped, started)), "no 503 while PostgreSQL was down"


async def readiness(bases: list[str]) -> list[tuple[int, float]]:
    """Each process's /readyz: (status, seconds to answer)."""
    async def one(client: httpx.AsyncClient, base: str) -> tuple[int, float]:
        started = time.monotonic()
        response = await client.get(base + "/readyz")
        return response.status_code, round(time.monotonic() - started, 3)

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT + MARGIN) as client:
        return list(await asyncio.gather(*(one(client, base) for base in bases)))


async def frozen_and_thawed(freeze: Callable[[], None], thaw: Callable[[], None], load: Load,
                            seconds: float) -> tuple[float, float, list[tuple[int, float]], float]:
    """Frozen for ``seconds`` under ``load`` (/readyz asked half a second in), thawed, until 200s
    again and a second more: the freeze's and thaw's times, /readyz's answers, and when the load
    had settled."""
    frozen = time.monotonic()
    freeze()
    try:
        await asyncio.sleep(0.5)
        ready = await readiness(load.bases)
        await asyncio.sleep(seconds - (time.monotonic() - frozen))
    finally:
        thaw()
    thawed = time.monotonic()
    await until(lambda: load.recovered(thawed) is not None, RECOVERY, "200s again after the thaw")
    await asyncio.sleep(1.0)
    return frozen, thawed, ready, time.monotonic() - 0.8


async def test_postgres_frozen_under_load(tmp_path: Path) -> None:
    async with loaded(tmp_path) as (pg, load, procs):
        frozen, thawed, ready, settled = await frozen_and_thawed(
            lambda: pg.signal_all(signal.SIGSTOP), lambda: pg.signal_all(signal.SIGCONT), load, FREEZE)
    figures = {**load.figures(), "while_frozen": load.figures(frozen, thawed), "readyz_while_frozen": ready,
               "recovered_s_after_thaw": round(load.recovered(thawed) or -1, 2)}
    report(tmp_path, "postgres_freeze", figures)
    assert_clean(load, procs, settled)
    assert all(status == 503 and took <= READY_BOUND for status, took in ready), ready
    assert any(a.kind == "503" for a in load.between(frozen, thawed)), "no 503 while PostgreSQL was frozen"
