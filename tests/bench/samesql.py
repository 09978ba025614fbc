"""The same-statements floor: ticketgate's own SQL with none of its Python around it.

The benchmark's second column (the hand floor, floor.py, is the first): a bare Starlette app
on the same uvicorn, asyncpg and orjson as ticketgate, with no authentication, no rate limit
and no dialect. ``/s/{scenario}`` runs the scenario's plan (written by the benchmark, path in
``BENCH_SAMESQL_PLAN``): the exact statements the gateway ran for the request (text and
arguments, recorded by recorder.py) on one pooled connection, returning every row it read as
JSON; checkout and the event creates answer as the hand floor does (one statement). The gap
between this floor and the gateway is the gateway's Python; between it and the hand floor,
the gateway's SQL. Started by the benchmark as ``uvicorn tests.bench.samesql:app``;
``DATABASE_URL`` names the database.
"""

from __future__ import annotations

import itertools
import os
import pickle
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STOCK_UPDATE = ("UPDATE ticket_types SET sold = sold + 1, updated_at = now()"
                " WHERE id = $1 AND sold + held + 1 <= quantity RETURNING sold")
EVENT_INSERT = ("INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency, status)"
                " VALUES ($1, true, $2, $3, now() + interval '30 days', 'USD', 'draft') RETURNING *")

state: dict[str, Any] = {}
_serial = itertools.count()
_process = uuid.uuid4().hex[:8]


async def _init(conn: asyncpg.Connection) -> None:
    # the same JSON codecs as the gateway's pool, so row decoding costs the same
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
                                  schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released like the gateway's pool (core.db.keep_session): no reset query on release."""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    with open(os.environ["BENCH_SAMESQL_PLAN"], "rb") as f:
        state["plans"] = pickle.load(f)
    state["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10, init=_init,
                                              reset=_keep_session)
    yield
    await state["pool"].close()


def _bytes(value: Any) -> str:
    if isinstance(value, bytes | memoryview):  # stored idempotent responses, fingerprints
        return bytes(value).hex()
    raise TypeError


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content, default=_bytes), status, media_type="application/json")


async def scenario(request: Request) -> Response:
    plan = state["plans"][request.path_params["name"]]
    body = await request.body()
    data = orjson.loads(body) if body else None
    kind = plan["kind"]
    if kind == "static":
        return _json({"version": "pong"})
    async with state["pool"].acquire() as conn:
        if kind == "update":
            return _json({"sold": await conn.fetchval(STOCK_UPDATE, plan["type_id"])}, 201)
        if kind == "insert_event":
            slug = f"floor-{_process}-{next(_serial)}"
            row = await conn.fetchrow(EVENT_INSERT, plan["office"], data["title"], slug)
            return _json(dict(row), 201)
        results = [await _run(conn, sql, args) for sql, args in plan["statements"]]
    return _json(results, plan["status"])


async def _run(conn: asyncpg.Connection, sql: str, args: tuple[Any, ...]) -> Any:
    if not args:  # BEGIN, COMMIT and other argument-free commands: the simple protocol, as the gateway sent them
        return await conn.execute(sql)
    rows = await conn.fetch(sql, *args)
    if not rows:
        return []
    keys = tuple(rows[0].keys())  # dict(zip(...)): the cheapest record-to-dict, as the gateway's projections
    return [dict(zip(keys, row)) for row in rows]  # noqa: B905 - a keyword argument costs a fifth of it


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[Route("/s/{name}", scenario, methods=["GET", "POST", "PATCH"]), Route("/healthz", healthz)],
    lifespan=lifespan,
)
