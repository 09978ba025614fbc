"""Record the SQL the gateway runs for each scenario, so the floor replays exactly the same statements.

The gateway runs in this process (httpx's ASGI transport) with asyncpg's query logger on
every pooled connection. Each scenario's request is sent once to warm the key cache, then
once more under recording; statements about API keys (the first request's lookup, the
advisory ``last_used_at`` flush) are dropped, since the floor has no authentication, and so
are asyncpg's own statements (type introspection, run once per connection and type).
Recording also checks every scenario answers with its expected status before any load.
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
from tests.bench.scenarios import Scenario

Statement = tuple[str, tuple[Any, ...]]


# asyncpg's own statements, not the request's: the reset on release (for pools that keep it) and the
# type introspection a connection runs once, the first time it meets a type (jit off, typeinfo_tree, jit back)
DRIVER_STATEMENTS = ("pg_advisory_unlock_all()", "typeinfo_tree", "set_config('jit'")


class Recorder:
    def __init__(self) -> None:
        self.statements: list[Statement] | None = None

    def __call__(self, record: Any) -> None:
        if self.statements is None or "api_keys" in record.query:
            return
        if any(marker in record.query for marker in DRIVER_STATEMENTS):
            return
        self.statements.append((record.query, tuple(record.args or ())))


@contextlib.asynccontextmanager
async def recording_gateway(env: dict[str, str], recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    original = core.db.init_connection

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


async def record(env: dict[str, str], scenarios: list[Scenario]) -> dict[str, list[Statement]]:
    """Each sql-floor scenario's statements; every scenario is checked for its expected status."""
    recorder = Recorder()
    plans: dict[str, list[Statement]] = {}
    async with recording_gateway(env, recorder) as client:
        for s in scenarios:
            await _send(client, s, f"{s.name}-1")
            await asyncio.sleep(0.05)  # let the advisory last_used_at flush run outside the recording
            recorder.statements = []
            await _send(client, s, f"{s.name}-2")
            plans[s.name], recorder.statements = recorder.statements, None
            if s.floor == "sql" and not plans[s.name]:
                raise RuntimeError(f"{s.name}: no SQL recorded")
    return plans
