"""Record the SQL the gateway runs for each scenario, and count its statements and round trips.

The gateway runs in this process (httpx's ASGI transport) with asyncpg's query logger on
every pooled connection, and its pool connects through a counting proxy (proxy.py, no delay),
which sees the round trips themselves: a statement asyncpg has not prepared on that connection
yet costs two (Parse/Describe, then Bind/Execute), a transaction's BEGIN and COMMIT one each.

Each scenario's request is sent a few times first (the key cache, the idle pooled connections'
prepared statements), then measured a few more times; a scenario's figures are those of the
measured request with the fewest, every statement counted (API keys, the driver's own): what a
request costs in the steady state the load sees, where every connection has prepared its
statements. The others differ only by what a request does not cause itself: a background task's
statement (the idempotency sweep, a metrics gauge) during it, or a connection the pool opened
meanwhile preparing the statement for the first time. For the same-statements floor (samesql.py)
that request's statements are kept, without those about API keys (the floor has no
authentication) and without asyncpg's own (type introspection, run once per connection and
type). Recording also checks every scenario answers with its expected status before any load.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx

import core.db
from gateway.app import build_app
from gateway.config import load_settings
from gateway.runtime import Gateway
from tests.bench.proxy import Proxy
from tests.bench.scenarios import Scenario

Statement = tuple[str, tuple[Any, ...]]


# asyncpg's own statements, not the request's: the reset on release (for pools that keep it) and the
# type introspection a connection runs once, the first time it meets a type (jit off, typeinfo_tree, jit back)
DRIVER_STATEMENTS = ("pg_advisory_unlock_all()", "typeinfo_tree", "set_config('jit'")


WARM_REQUESTS = 4  # more than the pool's idle connections (min size 2) that sequential requests rotate over
MEASURED_REQUESTS = 5


class Recorder:
    def __init__(self) -> None:
        self.statements: list[Statement] | None = None
        self.count = 0  # every statement the logger saw

    def __call__(self, record: Any) -> None:
        self.count += 1
        if self.statements is None or "api_keys" in record.query:
            return
        if any(marker in record.query for marker in DRIVER_STATEMENTS):
            return
        self.statements.append((record.query, tuple(record.args or ())))


@contextlib.asynccontextmanager
async def recording_gateway(env: dict[str, str], recorder: Recorder,
                            counter: Proxy | None = None) -> AsyncIterator[httpx.AsyncClient]:
    original = core.db.init_connection
    if counter is not None:
        env = {**env, "DATABASE_URL": counter.dsn(env["DATABASE_URL"])}

    async def init(conn: asyncpg.Connection) -> None:
        await original(conn)
        conn.add_query_logger(recorder)

    core.db.init_connection = init  # create_pool looks the name up when it is called
    settings = load_settings(environ={**env, "TICKETGATE_WEBHOOK_WORKER": "false"})
    gateway = Gateway(settings)
    try:
        await gateway.start()
    finally:
        core.db.init_connection = original
    transport = httpx.ASGITransport(app=build_app(gateway))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client
    finally:
        await gateway.stop()


async def _send(client: httpx.AsyncClient, s: Scenario, n: str) -> httpx.Response:
    headers = dict(s.headers)
    body = s.body
    if s.unique_key:
        headers["Idempotency-Key"] = f"record-{n}"
        body = (body or "").replace("{n}", f"record-{n}")
    response = await client.request(s.method, s.path, headers=headers, content=body)
    if response.status_code != s.status:
        raise RuntimeError(f"{s.name}: {s.method} {s.path} answered {response.status_code}, expected "
                           f"{s.status}: {response.text[:300]}")
    return response


async def record(env: dict[str, str], scenarios: list[Scenario]) -> tuple[dict[str, list[Statement]],
                                                                          dict[str, dict[str, int]]]:
    """Each scenario's statements (for samesql.py) and its statements and round trips per request."""
    recorder = Recorder()
    plans: dict[str, list[Statement]] = {}
    counts: dict[str, dict[str, int]] = {}
    with Proxy(env["DATABASE_URL"]) as counter:
        async with recording_gateway(env, recorder, counter) as client:
            for s in scenarios:
                for n in range(WARM_REQUESTS):
                    await _send(client, s, f"{s.name}-warm-{n}")
                await asyncio.sleep(0.05)  # let the advisory last_used_at flush run outside the counts
                figures = []
                for n in range(MEASURED_REQUESTS):
                    statements, turns = recorder.count, counter.turns
                    recorder.statements = []
                    await _send(client, s, f"{s.name}-{n}")
                    await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
                    figures.append((recorder.count - statements, counter.turns - turns, recorder.statements))
                    recorder.statements = None
                fewest = min(figures, key=lambda f: (f[0], f[1]))
                counts[s.name] = {"statements": fewest[0], "round_trips": fewest[1]}
                plans[s.name] = fewest[2]
                if s.floor == "sql" and s.is_get and not plans[s.name]:
                    raise RuntimeError(f"{s.name}: no SQL recorded")
    return plans, counts
