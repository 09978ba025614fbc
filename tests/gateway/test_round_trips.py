"""Every GET of every dialect is answered in one database statement; a route that reads nothing
makes none (issue 18).

The routes come from the dialects' own route tables (dialects.registry), so a GET added later is
held to the same rule without a line here: its path parameters are filled from ``PARAMS`` (a new
parameter name fails loudly until it is added). Each route is asked for a first page (or its one
object) of a box office with children of every kind (events with ticket types and a ticket
group, orders with line items and issued tickets, a subscription's deliveries with attempts),
every further page its links lead to, and the same path under a box office that has nothing:
an empty page, or the 404 of an object that is not the caller's.

Statements are counted with asyncpg's query logger (every statement a connection executes,
BEGIN included), attached by the pool's acquire hook (core.db.create_pool's ``setup``) on a pool
and key store of the test's own, which the app is given as its services. Each request is made
once first, so the key is cached and its last-used time flushed, then counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import httpx
import pytest

from core.db import create_pool
from core.events import publish_event, ticket_types_for
from core.keys import KeyStore
from core.models import Scope
from dialects import registry
from dialects.base import Route
from tests import factories
from tests.conformance.adapters import ADAPTERS

# the routes that read nothing from the database (the key lookup aside, which is cached)
NO_DATABASE = {("tickettailor", "/v1/ping"), ("ticketsmart", "/api/v1/openapi.json"),
               ("tickettailor", "/v1/openapi.json"), ("equaticket", "/api/v1/openapi.json")}
# path parameter -> the world's object it names
PARAMS = {"id_or_slug": "event", "event_id": "event", "order_id": "order", "issued_ticket_id": "ticket",
          "subscription_id": "subscription", "voucher_id": "voucher", "event_series_id": "series"}
GETS = [(name, route) for name in registry.NAMES for route in registry.dialect(name).routes if route.method == "GET"]
ADAPTER = {a.name: a for a in ADAPTERS}
SINGLE = {("tickettailor", "/v1/box_office")}  # one object without an id in its path
MAX_PAGES = 4


@dataclass
class Office:
    row: asyncpg.Record
    keys: dict[str, str]  # dialect -> a live key's secret


@dataclass
class World:
    full: Office
    empty: Office
    ids: dict[str, int]  # PARAMS' objects, all the full box office's


@dataclass
class Counted:
    pool: asyncpg.Pool
    keys: KeyStore
    log: list[Any]


@pytest.fixture(scope="module")
async def counted(database_dsn: str) -> AsyncIterator[Counted]:
    log: list[Any] = []

    async def setup(conn: Any) -> None:
        conn.add_query_logger(log.append)  # a set of loggers: adding it again on each acquire is a no-op

    pool = await create_pool(database_dsn, min_size=1, max_size=4, setup=setup)
    keys = KeyStore(pool, database_dsn)
    await keys.start()
    yield Counted(pool, keys, log)
    await keys.close()
    await pool.close()


async def _office(conn: asyncpg.Connection) -> Office:
    row = await factories.box_office(conn)
    return Office(row, {name: await factories.key(conn, row, name) for name in registry.NAMES})


async def _children(conn: asyncpg.Connection, scope: Scope, checkout: Any) -> dict[str, int]:
    """Two published events (the first with a ticket group and a second type in it), two orders
    of two tickets each, and a (disabled) webhook subscription with two deliveries, one attempted."""
    events = [await factories.event(conn, scope, title=title) for title in ("Early", "Late")]
    for event in events:
        await publish_event(conn, scope, event["id"])
    event_id = events[0]["id"]
    group = await conn.fetchval("INSERT INTO ticket_groups (event_id, name) VALUES ($1, 'Seated') RETURNING id",
                                event_id)
    await conn.execute("INSERT INTO ticket_types (event_id, group_id, name, price, quantity, sort_order)"
                       " VALUES ($1, $2, 'Balcony', 1500, 40, 1)", event_id, group)
    type_id = (await ticket_types_for(conn, [event_id]))[0]["id"]
    orders = [await checkout.place(conn, scope, factories.order_input(event_id, type_id, 2)) for _ in range(2)]
    ticket = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1 ORDER BY id LIMIT 1",
                                 orders[0]["id"])
    # disabled: no worker of a later test claims its deliveries (their secret is no key, their URL
    # a real host), and no later order of the office writes more
    subscription = await conn.fetchval(
        "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, secret, enabled)"
        " VALUES ($1, true, 'https://hooks.example.com/x', '{order.placed}', 'sealed', false) RETURNING id",
        scope.box_office_id)
    for attempted in (True, False):
        webhook_event = await conn.fetchval(
            "INSERT INTO webhook_events (box_office_id, livemode, type, payload) VALUES ($1, true, 'order.placed',"
            " '{\"id\": \"ord_1\"}') RETURNING id", scope.box_office_id)
        delivery = await conn.fetchval("INSERT INTO webhook_deliveries (event_id, subscription_id) VALUES ($1, $2)"
                                       " RETURNING id", webhook_event, subscription)
        if attempted:
            await conn.execute("INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms,"
                               " error) VALUES ($1, now(), 500, 9, 'HTTP 500')", delivery)
    await conn.execute("INSERT INTO check_ins (ticket_id, nonce) VALUES ($1, 'door')", ticket)
    return {"event": event_id, "order": orders[0]["id"], "ticket": ticket, "subscription": subscription,
            **await _offers(conn, scope, event_id, type_id)}


async def _offers(conn: asyncpg.Connection, scope: Scope, event_id: int, type_id: int) -> dict[str, int]:
    """Two products, discounts, voucher codes and waitlist signups (of the event's series)."""
    office, series = scope.box_office_id, await conn.fetchval("SELECT series_id FROM events WHERE id = $1", event_id)
    for n in range(2):
        product = await conn.fetchval("INSERT INTO products (box_office_id, livemode, name, price, currency)"
                                      " VALUES ($1, true, 'Mug', 500, 'USD') RETURNING id", office)
        await conn.execute("INSERT INTO discounts (box_office_id, livemode, name, code, face_value_amount,"
                           " ticket_type_ids, product_ids) VALUES ($1, true, 'Off', $2, 100, $3, $4)",
                           office, f"OFF{n}", [type_id], [product])
        await conn.execute("INSERT INTO waitlist_signups (box_office_id, livemode, series_id, event_id, email)"
                           " VALUES ($1, true, $2, $3, 'w@example.com')", office, series, event_id)
    voucher = await conn.fetchval("INSERT INTO vouchers (box_office_id, livemode, name, value, currency)"
                                  " VALUES ($1, true, 'Gift', 1000, 'USD') RETURNING id", office)
    await conn.execute("INSERT INTO voucher_codes (voucher_id, box_office_id, livemode, code, remaining)"
                       " SELECT $1, $2, true, $3 || n, 1000 FROM generate_series(1, 2) n",
                       voucher, office, f"G{office}-")
    return {"voucher": voucher, "series": series}


@pytest.fixture(scope="module")
async def world(gateway: Any) -> World:
    async with factories.pool(gateway).acquire() as conn:
        full, empty = await _office(conn), await _office(conn)
        ids = await _children(conn, Scope(full.row["id"], True), gateway.checkout)
    return World(full, empty, ids)


@pytest.fixture(scope="module")
async def counting_client(app_with: Any, counted: Counted) -> AsyncIterator[httpx.AsyncClient]:
    # no rate limits: this module asks one key for far more than a minute's allowance
    app = app_with(*registry.NAMES, pool=counted.pool, keys=counted.keys, limiter=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def _settled(log: list[Any]) -> None:
    """Until the loop has delivered every logged statement (asyncpg calls loggers with call_soon)
    and background work (a key's last-used flush) has stopped adding any."""
    seen = -1
    for _ in range(50):
        await asyncio.sleep(0.01)
        if len(log) == seen:
            return
        seen = len(log)


async def _counted(client: httpx.AsyncClient, counted: Counted, url: str, params: dict[str, str],
                   headers: dict[str, str]) -> tuple[httpx.Response, list[str]]:
    await client.get(url, params=params, headers=headers)  # warm: the key cached, its last use written
    await _settled(counted.log)
    counted.log.clear()
    response = await client.get(url, params=params, headers=headers)
    await _settled(counted.log)
    return response, [record.query for record in counted.log]


def _path(name: str, route: Route, world: World) -> str:
    path = route.path
    for param in (part.split("}")[0] for part in path.split("{")[1:]):
        assert param in PARAMS, f"{route.path}: add the path parameter {param!r} to PARAMS"
        path = path.replace(f"{{{param}}}", str(world.ids[PARAMS[param]]))
    return f"/{name}{path}"


def _links(name: str, response: httpx.Response, params: dict[str, str]) -> list[dict[str, str]]:
    """The query of each page a list response links to (none for one object's body)."""
    body = response.json()
    if not isinstance(body, dict) or not ({"pagination", "links", "has_more"} & set(body)):
        return []
    found = [ADAPTER[name].next_page(response, params)]
    previous = (body.get("links") or {}).get("previous")
    if previous:
        found.append(dict(parse_qsl(urlsplit(previous).query)))
    return [query for query in found if query is not None]


def _request(name: str, route: Route, office: Office) -> tuple[dict[str, str], dict[str, str]]:
    """The first page's query and headers: a collection (its path not ending in an id) is asked
    for one row a page, so the world's lists have further pages; one object, for nothing more
    (Ticket Tailor refuses a parameter the operation does not take)."""
    collection = not route.path.endswith("}") and (name, route.path) not in NO_DATABASE | SINGLE
    params = {"limit": "1"} if collection else {}
    if route.public:
        return {**params, "org_slug": office.row["slug"]}, {}
    return params, ADAPTER[name].auth(office.keys[name])


@pytest.mark.parametrize(("name", "route"), GETS, ids=[f"{n}:{r.path}" for n, r in GETS])
async def test_every_get_is_one_statement(name: str, route: Route, world: World, counted: Counted,
                                          counting_client: httpx.AsyncClient) -> None:
    expected = 0 if (name, route.path) in NO_DATABASE else 1
    nested = "{" in route.path
    for office, status in ((world.full, 200), (world.empty, 404 if nested else 200)):
        params, headers = _request(name, route, office)
        url = _path(name, route, world)
        pending, pages = [params], 0
        while pending and pages < MAX_PAGES:
            query = pending.pop(0)
            response, statements = await _counted(counting_client, counted, url, query, headers)
            assert response.status_code == status, (query, response.text)
            assert len(statements) == expected, (query, statements)
            pages += 1
            if office is world.full:
                pending += _links(name, response, query)


async def test_the_counted_pages_have_children(world: World, counting_client: httpx.AsyncClient) -> None:
    """The lists above carry children of every kind (so one statement really holds them)."""
    def get(name: str, path: str) -> Any:
        headers = ADAPTER[name].auth(world.full.keys[name])
        return counting_client.get(f"/{name}{path}", params={"limit": "100"}, headers=headers)

    events = (await get("tickettailor", "/v1/events")).json()["data"]
    first = next(e for e in events if e["id"] == f"ev_{world.ids['event']}")
    assert len(first["ticket_types"]) == 2 and len(first["ticket_groups"]) == 1
    assert first["ticket_groups"][0]["ticket_ids"] == [first["ticket_types"][1]["id"]]
    orders = (await get("tickettailor", "/v1/orders")).json()["data"]
    assert all(len(o["issued_tickets"]) == 2 and o["line_items"] for o in orders) and len(orders) == 2
    assert all(len(e["ticketTypes"]) >= 1 for e in (await get("ticketsmart", "/api/v1/events")).json()["events"])
    assert all(o["line_items"] for o in (await get("equaticket", "/api/v1/orders")).json()["data"])
    path = f"/api/v1/webhooks/subscriptions/{world.ids['subscription']}/deliveries"
    deliveries = (await get("equaticket", path)).json()["data"]
    assert sorted(len(d["attempts"]) for d in deliveries) == [0, 1]
