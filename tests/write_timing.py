"""An in-process timing of the write requests against their floor (docs/performance.md, "Writes in
one transaction"); not a test and not the benchmark (``make bench`` measures over HTTP).

    PYTHONPATH=$PWD python -m tests.write_timing [requests]

Starts (or joins) an embedded PostgreSQL in ``.ticketgate-timing``, makes a database of its own,
and times, on one connection pool through in-process ASGI clients (httpx), the floor (a bare
Starlette route running ``INSERT INTO events ... RETURNING *``, the benchmark's floor statement)
against Equaticket's POST /events with a new Idempotency-Key each, TicketSmart's POST /events
and TicketSmart's PATCH of one event's title, each request after the other, in alternating
rounds (the machine's load changes both alike); prints the medians, with this process's CPU
per request (the in-process client's share included).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.db import create_database, drop_database, start_embedded
from gateway.app import build_app
from gateway.config import load_settings
from gateway.runtime import Gateway
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
FLOOR_INSERT = ("INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency, status)"
                " VALUES ($1, true, $2, $3, now() + interval '30 days', 'USD', 'draft') RETURNING *")
EQ_BODY = ('{"title": "Timed %d", "starts_at": "2031-05-01T19:00:00Z", "currency": "usd",'
           ' "ticket_types": [{"name": "General admission", "price": 2500, "quantity_total": 100}]}')
TS_BODY = ('{"title": "Smart %d", "startsAt": "2031-05-01T19:00:00Z",'
           ' "ticketTypes": [{"name": "General admission", "price": 2500, "quantity": 100}]}')
Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def floor_app(gw: Gateway, office: int) -> Starlette:
    serial = itertools.count()

    async def insert(request: Request) -> Response:
        data = orjson.loads(await request.body())
        async with factories.pool(gw).acquire() as conn:
            slug = f"floor-{uuid.uuid4().hex[:6]}-{next(serial)}"
            row = await conn.fetchrow(FLOOR_INSERT, office, data["title"], slug)
        return Response(orjson.dumps(dict(row), default=str), 201, media_type="application/json")

    return Starlette(routes=[Route("/floor", insert, methods=["POST"])])


async def timed(client: httpx.AsyncClient, send: Send, start: int, n: int) -> tuple[float, float]:
    """Requests per second, and this process's CPU per request in us (the client's share included)."""
    began, cpu = time.perf_counter(), time.process_time()
    for i in range(start, start + n):
        response = await send(client, i)
        assert response.status_code in (200, 201), response.text
    return n / (time.perf_counter() - began), (time.process_time() - cpu) / n * 1e6


async def compared(app: Any, floor: Any, send: Send, floor_send: Send, n: int, rounds: int = 10
                   ) -> dict[str, float]:
    """Rounds of n / rounds requests, the floor's and the scenario's in turn (the machine's load moves
    both alike): the median rates, CPU per request and ratio of the rounds."""
    transport = httpx.ASGITransport
    async with httpx.AsyncClient(transport=transport(app=app), base_url="http://timing") as client, \
            httpx.AsyncClient(transport=transport(app=floor), base_url="http://timing") as floor_client:
        await timed(client, send, -50, 50)  # warm the statement caches
        await timed(floor_client, floor_send, -50, 50)
        rows = []
        for r in range(rounds):
            size = n // rounds
            (floor_rate, floor_cpu), (rate, cpu) = (await timed(floor_client, floor_send, r * size, size),
                                                    await timed(client, send, r * size, size))
            rows.append({"floor": floor_rate, "rate": rate, "ratio": rate / floor_rate, "floor_cpu": floor_cpu,
                         "cpu": cpu})
    return {name: statistics.median(row[name] for row in rows) for name in rows[0]}


async def main(n: int) -> None:
    server = start_embedded(ROOT / ".ticketgate-timing")
    name = f"tg_timing_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server, name)
    settings = load_settings(environ={}, database_url=dsn, admin_token="timing-admin-token-0123456789",
                             development=True, webhook_worker=False)
    gw = Gateway(settings)
    await gw.start()
    try:
        async with factories.pool(gw).acquire() as conn:
            office = await factories.box_office(conn)
            eq_key = await factories.key(conn, office, "equaticket")
            ts_key = await factories.key(conn, office, "ticketsmart")
        app = build_app(dataclasses.replace(gw, limiter=None))
        eq = {"Authorization": f"Bearer {eq_key}", "Content-Type": "application/json"}
        ts = {"x-api-key": ts_key, "Content-Type": "application/json"}

        def eq_create(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            headers = {**eq, "Idempotency-Key": uuid.uuid4().hex}
            return c.post("/equaticket/api/v1/events", content=EQ_BODY % i, headers=headers)

        def ts_create(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.post("/ticketsmart/api/v1/events", content=TS_BODY % i, headers=ts)

        def ts_patch(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.patch("/ticketsmart/api/v1/events/timed-1", content=b'{"title": "Patched %d"}' % i, headers=ts)

        def floor(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.post("/floor", content=b'{"title": "Floor %d"}' % i)

        floor_app_ = floor_app(gw, office["id"])
        for scenario, send in (("eq_create_keyed", eq_create), ("ts_create", ts_create), ("ts_patch", ts_patch)):
            m = await compared(app, floor_app_, send, floor, n)
            print(f"{scenario:16} {m['rate']:5.0f} req/s, floor {m['floor']:5.0f} req/s: {m['ratio']:.2f} of the"
                  f" floor; Python CPU {m['cpu']:4.0f} us a request, floor {m['floor_cpu']:4.0f} us")
    finally:
        await gw.stop()
        await drop_database(server, name)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
