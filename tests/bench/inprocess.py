"""CPU per request in process: the gateway's ASGI app (or the hand floor's) called directly.

``python -m tests.bench.inprocess [ts_event eq_create_event ...] [--requests 3000] [--floor] [--no-metrics]
[--server]``

No sockets and no load generator: each scenario's request is built as an ASGI scope and sent to
the app in a loop, and the process's CPU time per request is printed (the best of three rounds,
after a warm-up). A write scenario sends its body; one with ``unique_key`` gets a fresh
``Idempotency-Key`` (and ``{n}`` in its body) on every request, as ``make bench`` sends it. The
database is a real one (the seeded benchmark database, as ``make bench`` leaves it; its
``prepare`` makes fresh keys, so not while a bench runs), so the figure includes asyncpg's side
of the round trip but not the server's. What it prices is the Python around one request
(routing, authentication, the limiter, metrics, the handler, the serializers), which ``make
bench``'s requests/s show only through the noise of a shared machine: a change of a few
microseconds shows here, run against run.

``--server`` also prices the other side: the CPU the database's backends spent per request
(read from ``/proc`` for every backend connected to the benchmark database, so only for a
PostgreSQL on this machine), which is what a statement's design costs; on two cores the server
and the database share, both sides count against requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from tests.bench.phases import Files, Options
from tests.bench.run import DEFAULT_SERVER, prepare, public_base_url, write_files
from tests.bench.scenarios import Scenario
from tests.bench.servers import gateway_env

DETAIL = ("tt_ping", "ts_event", "ts_availability", "tt_event", "eq_event", "tt_tickets", "eq_attendees")
Message = dict[str, Any]
RUN = uuid.uuid4().hex[:8]  # keys of this run never meet an earlier run's


class Requests:
    """One scenario's requests as ASGI calls: its scope, and its body (a new key and ``{n}`` each time)."""

    def __init__(self, s: Scenario, floor: bool) -> None:
        self.scenario, self.serial = s, itertools.count()
        path, _, query = (f"/s/{s.name}" if floor else s.path).partition("?")
        self.headers = [(k.lower().encode(), v.encode()) for k, v in s.headers.items()]
        self.headers += [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": s.method,
                      "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                      "root_path": "", "headers": self.headers, "client": ("127.0.0.1", 50000),
                      "server": ("127.0.0.1", 8000), "state": {}}

    def next(self) -> tuple[dict[str, Any], Callable[[], Awaitable[Message]]]:
        s, body = self.scenario, (self.scenario.body or "")
        scope = dict(self.scope)
        if s.unique_key:
            key = f"inprocess-{RUN}-{next(self.serial)}"
            scope["headers"] = [*self.headers, (b"idempotency-key", key.encode())]
            body = body.replace("{n}", key)
        message = {"type": "http.request", "body": body.encode(), "more_body": False}

        async def receive() -> Message:
            return message

        return scope, receive


async def _lifespan(app: Any) -> tuple[asyncio.Queue[Message], asyncio.Task[None]]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started = asyncio.get_running_loop().create_future()

    async def send(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set_result(None)
        elif message["type"] == "lifespan.startup.failed":
            started.set_exception(RuntimeError(message.get("message", "startup failed")))

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send))
    await started
    return inbox, task


class Backends:
    """CPU time of the database's backends serving one database, from ``/proc`` (a local server)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.tick = os.sysconf("SC_CLK_TCK")

    async def seconds(self) -> float:
        conn = await asyncpg.connect(self.dsn)
        try:
            pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                    " AND pid <> pg_backend_pid()")
        finally:
            await conn.close()
        total = 0
        for (pid,) in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:  # ended since, or not on this machine
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self.tick


async def measure(app: Any, s: Scenario, floor: bool, requests: int,
                  backends: Backends | None = None) -> tuple[list[float], list[float]]:
    calls, statuses = Requests(s, floor), []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(300):
        await app(*calls.next(), send)
    if statuses[-1] != s.status:
        raise SystemExit(f"{s.name}: answered {statuses[-1]}, expected {s.status}")
    rounds, server = [], []
    for _ in range(3):
        before = await backends.seconds() if backends else 0.0
        started = time.process_time()
        for _ in range(requests):
            await app(*calls.next(), send)
        rounds.append((time.process_time() - started) / requests * 1e6)
        if backends:
            server.append((await backends.seconds() - before) / requests * 1e6)
    if statuses[-1] != s.status:
        raise SystemExit(f"{s.name}: answered {statuses[-1]} while measured, expected {s.status}")
    return rounds, server


async def main(names: list[str], requests: int, floor: bool, metrics: bool, server: bool) -> None:
    dsn, fx, chosen, _ = await prepare(Options(DEFAULT_SERVER))
    os.environ.update(gateway_env(dsn, metrics=metrics))
    with tempfile.TemporaryDirectory(prefix="tg-inprocess-") as tmp:
        if floor:  # the floor reads its values at startup
            files = Files(Path(tmp) / "floor-params.json", Path(tmp) / "samesql-plan.pickle")
            write_files(files, fx, chosen, {}, public_base_url())
            os.environ["BENCH_FLOOR_PARAMS"] = str(files.params)
            from tests.bench.floor import app
        else:
            from gateway.app import create_app

            app = create_app()
        inbox, task = await _lifespan(app)
    by_name = {s.name: s for s in chosen}
    backends = Backends(dsn) if server else None
    try:
        for name in names:
            rounds, spent = await measure(app, by_name[name], floor, requests, backends)
            line = f"{name:18s} {min(rounds):7.1f} us CPU/request  (rounds: {', '.join(f'{r:.0f}' for r in rounds)})"
            if spent:  # the clock ticks are coarse (10 ms): the best of three is still the fairest
                line += f"; database {min(spent):6.1f} us (rounds: {', '.join(f'{r:.0f}' for r in spent)})"
            print(line, flush=True)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(DETAIL))
    parser.add_argument("--requests", type=int, default=3000, help="requests per round (three rounds)")
    parser.add_argument("--floor", action="store_true", help="the hand floor's app instead of the gateway")
    parser.add_argument("--no-metrics", action="store_true", help="the gateway with metrics off")
    parser.add_argument("--server", action="store_true", help="also the database backends' CPU per request")
    args = parser.parse_args()
    try:  # the servers' loop: uvicorn takes uvloop when it is installed (uvicorn[standard])
        import uvloop

        run: Callable[..., None] = uvloop.run
    except ImportError:
        run = asyncio.run
    run(main(args.scenarios, args.requests, args.floor, not args.no_metrics, args.server))
