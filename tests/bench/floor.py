"""The hand floor: each scenario answered by one hand-written statement on a bare Starlette app.

Same uvicorn, asyncpg and orjson as ticketgate, no authentication, no rate limit, no dialect,
and nothing imported from core, dialects or gateway. A GET scenario runs its statement from
handsql.py, which returns the whole response document as JSON text that is sent as it is; the
writes are one statement each: checkout's stock ``UPDATE``, an event ``INSERT ... RETURNING *``
(Equaticket and TicketSmart creates), an event ``UPDATE ... RETURNING *`` (TicketSmart's PATCH),
and the idempotent replay's stored response (one primary-key ``SELECT``). Started by the
benchmark as ``uvicorn tests.bench.floor:app``; ``DATABASE_URL`` names the database and
``BENCH_FLOOR_PARAMS`` a JSON file of the run's values (box offices, event ids, cursor anchors).
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from itsdangerous import URLSafeSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.bench.handsql import STATEMENTS, Statement

STOCK_UPDATE = ("UPDATE ticket_types SET sold = sold + 1, updated_at = now()"
                " WHERE id = $1 AND sold + held + 1 <= quantity RETURNING sold")
EVENT_INSERT = ("INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency, status)"
                " VALUES ($1, true, $2, $3, now() + interval '30 days', 'USD', 'draft') RETURNING *")
EVENT_UPDATE = "UPDATE events SET title = $2, updated_at = now() WHERE id = $1 AND box_office_id = $3 RETURNING *"
REPLAY = ("SELECT response_body FROM idempotency_keys"
          " WHERE box_office_id = $1 AND livemode AND key = $2 AND state = 'done'")
WRITES = {"update": 201, "insert_event": 201, "update_event": 200, "replay": 201}

state: dict[str, Any] = {}
_serial = itertools.count()
_process = uuid.uuid4().hex[:8]


class _CompactJSON:
    """Equaticket's cursor payload is compact JSON under an itsdangerous signature."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)


def _arguments(statement: Statement, values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(datetime.fromisoformat(values[n]) if n.endswith("_created") else values[n] for n in statement.params)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    with open(os.environ["BENCH_FLOOR_PARAMS"]) as f:
        values = json.load(f)
    state["values"] = values
    state["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10,
                                              reset=_keep_session)
    async with state["pool"].acquire() as conn:
        secret = await conn.fetchval("SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'")
    state["signers"] = {kind: URLSafeSerializer(secret, salt=f"equaticket.cursor.{kind}", serializer=_CompactJSON)
                        for kind in ("events", "attendees")}
    state["args"] = {name: _arguments(s, values) for name, s in STATEMENTS.items()}
    yield
    await state["pool"].close()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released like the gateway's pool: no reset query on release (nothing here leaves session state)."""


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content, default=str), status, media_type="application/json")


async def read(name: str) -> Response:
    statement = STATEMENTS[name]
    async with state["pool"].acquire() as conn:
        row = await conn.fetchrow(statement.sql, *state["args"][name])
    if row is None:
        return _json({"error": "not found"}, 404)
    body: str = row[0]
    if statement.cursor is not None:
        body = body[:-1] + ', "next_cursor" : ' + _cursor(statement.cursor, row[1], row[2]) + "}"
    return Response(body.encode(), 200, media_type="application/json")


def _cursor(kind: str, created: datetime | None, row_id: int | None) -> str:
    if created is None:
        return "null"
    payload = [state["values"]["read_office"], True, kind, created.isoformat(), row_id]
    return '"' + str(state["signers"][kind].dumps(payload)) + '"'


async def write(kind: str, data: Any) -> Response:
    v = state["values"]
    async with state["pool"].acquire() as conn:
        if kind == "update":
            return _json({"sold": await conn.fetchval(STOCK_UPDATE, v["floor_type"])}, 201)
        if kind == "insert_event":
            slug = f"floor-{_process}-{next(_serial)}"
            row = await conn.fetchrow(EVENT_INSERT, v["write_office"], data["title"], slug)
            return _json(dict(row), 201)
        if kind == "update_event":
            row = await conn.fetchrow(EVENT_UPDATE, v["patch_event"], data["title"], v["write_office"])
            return _json(dict(row), 200)
        body = await conn.fetchval(REPLAY, v["write_office"], v["replay_key"])
    if body is None:  # the gateway has not stored the replayed response (yet)
        return _json({"error": "no stored response"}, 409)
    return Response(body, 201, media_type="application/json")


async def scenario(request: Request) -> Response:
    name = request.path_params["name"]
    if name in STATEMENTS:
        return await read(name)
    kind = state["values"]["kinds"].get(name)
    if kind == "static":
        return _json({"version": "pong"})
    if kind not in WRITES:
        return _json({"error": f"no hand floor for {name}"}, 404)
    body = await request.body()
    return await write(kind, orjson.loads(body) if body else None)


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[Route("/s/{name}", scenario, methods=["GET", "POST", "PATCH"]), Route("/healthz", healthz)],
    lifespan=lifespan,
)
