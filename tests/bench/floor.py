"""The hand floor: each scenario answered by one hand-written statement on a bare Starlette app.

Same uvicorn, asyncpg and orjson as ticketgate, no authentication, no rate limit, no dialect,
and nothing imported from core, dialects or gateway. A GET scenario runs its statement from
handsql.py, whose rows are the response's objects; the envelope around them (TicketSmart's
pagination, Ticket Tailor's links, Equaticket's ``has_more`` and signed ``next_cursor``) is
built here and the whole body written by one ``orjson.dumps``. The writes are one statement
each: checkout's stock ``UPDATE``, an event ``INSERT ... RETURNING *`` (Equaticket and TicketSmart
creates), an event ``UPDATE ... RETURNING *`` (TicketSmart's PATCH), and the idempotent replay's
stored response (one primary-key ``SELECT``). Started by the
benchmark as ``uvicorn tests.bench.floor:app``; ``DATABASE_URL`` names the database and
``BENCH_FLOOR_PARAMS`` a JSON file of the run's values (box offices, event ids, cursor anchors).
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

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
# a response stored by the one-statement create is JSON (migration 8), sent compact as the gateway sends it
REPLAY = ("SELECT response_body, response_json FROM idempotency_keys"
          " WHERE box_office_id = $1 AND livemode AND key = $2 AND state = 'done'")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
    state["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10, init=_init,
                                              reset=_keep_session)
    async with state["pool"].acquire() as conn:
        secret = await conn.fetchval("SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'")
    state["signers"] = {kind: URLSafeSerializer(secret, salt=f"equaticket.cursor.{kind}", serializer=_CompactJSON)
                        for kind in ("events", "attendees")}
    state["args"] = {name: _arguments(s, values) for name, s in STATEMENTS.items()}
    state["keys"] = {}
    yield
    await state["pool"].close()


async def _init(conn: asyncpg.Connection) -> None:
    # children arrive as json: decoded by orjson, as the gateway's pool does
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
                                  schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released like the gateway's pool: no reset query on release (nothing here leaves session state)."""


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content, default=str), status, media_type="application/json")


async def read(name: str) -> Response:
    statement = STATEMENTS[name]
    async with state["pool"].acquire() as conn:
        rows = await conn.fetch(statement.sql, *state["args"][name])
    if not rows:
        return _json({"error": "not found"}, 404)
    keys = _wire_keys(name, rows[0])
    # zip stops at the shorter: the trailing hidden columns stay out of the objects
    objects = [dict(zip(keys, row)) for row in rows]  # noqa: B905 - on purpose, see above
    if statement.dates:
        _dates(statement.dates, objects, rows)
    return _json(ENVELOPES[statement.envelope](statement, objects, rows))


def _wire_keys(name: str, row: asyncpg.Record) -> tuple[str, ...]:
    """The columns before the first hidden (``_``) one, found once per statement."""
    keys = state["keys"].get(name)
    if keys is None:
        names = tuple(row.keys())
        keys = state["keys"][name] = names[:next((i for i, k in enumerate(names) if k.startswith("_")), len(names))]
    return keys


def _dates(where: str, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> None:
    for o, row in zip(objects, rows, strict=True):
        end, start = date_object(row["_end"], row["_zone"]), date_object(row["_start"], row["_zone"])
        if where == "event":
            o["end"], o["start"] = end, start
        else:
            o["event_summary"]["end_date"], o["event_summary"]["start_date"] = end, start


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=8192)
def date_object(instant: datetime, zone: str) -> dict[str, Any]:
    """Ticket Tailor's date object in the event's zone; shared by every row that has it (not changed)."""
    local = instant.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    offset = local.strftime("%z")
    hour = local.hour % 12 or 12
    return {"date": f"{local:%Y-%m-%d}",
            "formatted": f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
                         f" {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}",
            "iso": local.isoformat(), "time": f"{local:%H:%M}", "timezone": f"{offset[:3]}:{offset[3:]}",
            "unix": int(instant.timestamp())}


def _object(s: Statement, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> Any:
    return objects[0]


def _ts_event(s: Statement, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> Any:
    return {"event": objects[0]}


def _ts_page(s: Statement, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> Any:
    total = rows[0]["_total"]
    pages = -(-total // s.limit)
    events = objects if objects[0]["id"] is not None else []  # an empty page: one row with the total
    return {"events": events, "pagination": {"page": s.page, "limit": s.limit, "total": total,
                                             "totalPages": pages, "hasMore": s.page < pages}}


def _tt_page(s: Statement, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> Any:
    page = objects[:s.limit]
    more = len(objects) > s.limit
    return {"data": page, "links": {
        "next": f"{s.path}?starting_after={page[-1]['id']}" if more else None,
        "previous": f"{s.path}?ending_before={page[0]['id']}" if s.after and page else None}}


def _eq_page(s: Statement, objects: list[dict[str, Any]], rows: list[asyncpg.Record]) -> Any:
    more = len(objects) > s.limit
    cursor = None
    if more:
        last = rows[s.limit - 1]
        at = EPOCH + timedelta(microseconds=last["_at"])
        payload = [state["values"]["read_office"], True, s.kind, at.isoformat(), last["_id"]]
        cursor = str(state["signers"][s.kind].dumps(payload))
    return {"livemode": True, "data": objects[:s.limit], "has_more": more, "next_cursor": cursor}


ENVELOPES: dict[str, Callable[[Statement, list[dict[str, Any]], list[asyncpg.Record]], Any]] = {
    "object": _object, "ts_event": _ts_event, "ts_page": _ts_page, "tt_page": _tt_page, "eq_page": _eq_page,
}


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
        stored = await conn.fetchrow(REPLAY, v["write_office"], v["replay_key"])
    body = None if stored is None else stored["response_body"] or (
        None if stored["response_json"] is None else orjson.dumps(stored["response_json"]))
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
