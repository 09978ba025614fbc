"""The event writes are one statement each, with one commit (issue 18): Equaticket's POST /events and
POST /events/{id}/ticket-types with an Idempotency-Key (the key's record, the event or its lock, the
types and the stored response), TicketSmart's POST /events and its PATCH of fields with an
``addTicketType``. A replay and the cases the one
statement leaves to the general path (a taken slug) are counted too, so that neither grows.

Statements are counted as tests/gateway/test_round_trips.py counts GETs: asyncpg's query logger on
every connection of a pool of the test's own (BEGIN and COMMIT are statements too), after a first
request that warms the key cache and the statement caches.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from core.db import create_pool
from core.keys import KeyStore
from tests import factories

EQ = "/equaticket/api/v1/events"
TS = "/ticketsmart/api/v1/events"
EQ_EVENT = {"title": "Counted", "starts_at": "2031-05-01T19:00:00Z", "currency": "usd",
            "ticket_types": [{"name": "GA", "price": 2500, "quantity_total": 100},
                             {"name": "VIP", "price": 9000, "quantity_total": 10}]}
TS_EVENT = {"title": "Counted here", "startsAt": "2031-05-01T19:00:00Z",
            "ticketTypes": [{"name": "GA", "price": 2500, "quantity": 100}]}


@dataclass
class Counting:
    client: httpx.AsyncClient
    log: list[Any]
    eq: dict[str, str]
    ts: dict[str, str]


@pytest.fixture(scope="module")
async def counting(app_with: Any, gateway: Any, database_dsn: str) -> AsyncIterator[Counting]:
    log: list[Any] = []

    async def setup(conn: Any) -> None:
        conn.add_query_logger(log.append)

    pool = await create_pool(database_dsn, min_size=1, max_size=4, setup=setup)
    keys = KeyStore(pool, database_dsn)
    await keys.start()
    async with factories.pool(gateway).acquire() as conn:
        office = await factories.box_office(conn)
        eq, ts = await factories.key(conn, office, "equaticket"), await factories.key(conn, office, "ticketsmart")
    app = app_with("equaticket", "ticketsmart", pool=pool, keys=keys, limiter=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield Counting(client, log, {"Authorization": f"Bearer {eq}"}, {"x-api-key": ts})
    await keys.close()
    await pool.close()


async def _settled(log: list[Any]) -> None:
    """Until asyncpg has delivered every logged statement (loggers are called with call_soon)."""
    seen = -1
    for _ in range(50):
        await asyncio.sleep(0.01)
        if len(log) == seen:
            return
        seen = len(log)


async def _statements(counting: Counting, send: Callable[[], Any]) -> tuple[httpx.Response, list[str]]:
    await _settled(counting.log)
    counting.log.clear()
    response = await send()
    await _settled(counting.log)
    return response, [record.query for record in counting.log]


def _keyed(counting: Counting, key: str | None = None) -> dict[str, str]:
    return {**counting.eq, "Idempotency-Key": key or str(uuid.uuid4())}


async def test_equaticket_keyed_create_is_one_statement(counting: Counting) -> None:
    c = counting.client
    assert (await c.post(EQ, json={**EQ_EVENT, "title": "Warm"}, headers=_keyed(counting))).status_code == 201
    key = str(uuid.uuid4())
    created, statements = await _statements(counting, lambda: c.post(EQ, json=EQ_EVENT, headers=_keyed(counting, key)))
    assert created.status_code == 201 and len(created.json()["ticket_types"]) == 2
    assert len(statements) == 1, statements
    replay, statements = await _statements(counting, lambda: c.post(EQ, json=EQ_EVENT, headers=_keyed(counting, key)))
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == created.content
    shown = await c.get(f"{EQ}/{created.json()['id']}", headers=counting.eq)
    assert shown.content == created.content  # the bytes GET sends for the event
    assert len(statements) == 1, statements  # the same statement finds the key's record


async def test_equaticket_keyed_create_under_a_taken_slug_keeps_its_count(counting: Counting) -> None:
    """The general path (claim, create, store): what the one statement leaves to it costs no more than before."""
    c = counting.client
    body = {**EQ_EVENT, "title": "Taken slug"}
    assert (await c.post(EQ, json=body, headers=_keyed(counting))).status_code == 201
    again, statements = await _statements(counting, lambda: c.post(EQ, json=body, headers=_keyed(counting)))
    assert again.status_code == 201 and again.json()["slug"] == "taken-slug-2"
    assert len(statements) <= 14, statements  # 13 before, and the one statement that wrote nothing


async def test_ticketsmart_create_is_one_statement(counting: Counting) -> None:
    c = counting.client
    assert (await c.post(TS, json={**TS_EVENT, "title": "Warm"}, headers=counting.ts)).status_code == 201
    created, statements = await _statements(counting, lambda: c.post(TS, json=TS_EVENT, headers=counting.ts))
    assert created.status_code == 201 and len(created.json()["event"]["ticketTypes"]) == 1
    assert len(statements) == 1, statements
    shown = await c.get(f"{TS}/{created.json()['event']['id']}", headers=counting.ts)
    assert shown.content == created.content


@pytest.mark.parametrize("patch", [{"title": "Renamed"}, {"endsAt": "2031-05-01T22:00:00Z", "venueName": "Hall"},
                                   {"title": "Grown", "addTicketType": {"name": "VIP", "price": 4500, "quantity": 20}},
                                   {"addTicketType": {"name": "Late", "price": 500, "quantity": 5}}])
async def test_ticketsmart_patch_is_one_statement(counting: Counting, patch: dict[str, Any]) -> None:
    c = counting.client
    made = (await c.post(TS, json={**TS_EVENT, "title": f"Patched {uuid.uuid4().hex[:6]}"}, headers=counting.ts))
    slug = made.json()["event"]["slug"]
    assert (await c.patch(f"{TS}/{slug}", json=patch, headers=counting.ts)).status_code == 200  # warm
    patched, statements = await _statements(counting, lambda: c.patch(f"{TS}/{slug}", json=patch, headers=counting.ts))
    assert patched.status_code == 200, patched.text
    assert len(statements) == 1, statements
    shown = await c.get(f"{TS}/{slug}", headers=counting.ts)
    assert shown.content == patched.content  # the same bytes as GET shows the event after the write


async def test_equaticket_keyed_ticket_type_create_is_one_statement(counting: Counting) -> None:
    c = counting.client
    event = (await c.post(EQ, json={**EQ_EVENT, "title": "Typed"}, headers=counting.eq)).json()
    types = f"{EQ}/{event['id']}/ticket-types"
    body = {"name": "Late", "price": 500, "currency": "usd", "quantity_total": 5}
    assert (await c.post(types, json={**body, "name": "Warm"}, headers=_keyed(counting))).status_code == 201
    key = str(uuid.uuid4())
    created, statements = await _statements(counting, lambda: c.post(types, json=body, headers=_keyed(counting, key)))
    assert created.status_code == 201 and created.json()["name"] == "Late"
    assert len(statements) == 1, statements
    replay, statements = await _statements(counting, lambda: c.post(types, json=body, headers=_keyed(counting, key)))
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == created.content
    assert len(statements) == 1, statements
    listed = (await c.get(types, headers=counting.eq)).json()["data"]
    assert orjson.dumps(listed[-1]) == created.content  # the bytes GET shows for the type


@pytest.mark.parametrize(("target", "body", "status", "param"), [
    ("own", {"name": "Euro", "price": 500, "currency": "eur", "quantity_total": 5}, 400, "currency"),
    ("evt_999999999", {"name": "Lost", "price": 500, "quantity_total": 5}, 404, None),
])
async def test_equaticket_keyed_ticket_type_refusals_are_the_general_paths(
        counting: Counting, target: str, body: dict[str, Any], status: int, param: str | None) -> None:
    c = counting.client
    event = (await c.post(EQ, json={**EQ_EVENT, "title": "Refusing"}, headers=counting.eq)).json()
    path = f"{EQ}/{event['id'] if target == 'own' else target}/ticket-types"
    headers = _keyed(counting)
    refused = await c.post(path, json=body, headers=headers)
    assert refused.status_code == status and refused.json()["error"].get("param") == param, refused.text
    again = await c.post(path, json=body, headers=headers)  # stored like any 4xx outcome
    assert again.status_code == status and again.headers["idempotent-replayed"] == "true"
    assert len((await c.get(f"{EQ}/{event['id']}/ticket-types", headers=counting.eq)).json()["data"]) == 2
