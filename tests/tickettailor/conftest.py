"""Ticket Tailor fixtures: the dialect mounted alone (siblings may be mid-edit), and seed data.

``app`` is the app as served with only this dialect (the root conftest's ``app_with``); ``tt``
is an httpx client on it. ``make_tt`` builds one with other settings (links form, a small
hourly limit), its own rate limiter or a Host name, through the same ``app_with``.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from core import events
from core.checkout import Checkout
from core.clock import ManualClock
from core.models import EventCreate, OrderCreate, Scope, parse
from gateway.ratelimit import RateLimiter

BASE = "/tickettailor/v1"
START = datetime(2020, 5, 1, 17, tzinfo=UTC)  # 6:00 PM in London (BST)
END = datetime(2020, 5, 1, 21, 30, tzinfo=UTC)
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)  # orders placed with a manual clock from here

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


def basic(secret: str, colon: bool = True) -> dict[str, str]:
    raw = f"{secret}:" if colon else secret
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture(scope="session")
def app(app_with: Any) -> Any:
    return app_with("tickettailor")


@pytest.fixture
async def make_tt(app_with: Any) -> AsyncIterator[ClientFactory]:
    """``make_tt(host=None, limiter=..., **settings)``: a client of the app as served with only this
    dialect, with these settings, also routed by ``host`` (the client then speaks to that host)."""
    clients: list[httpx.AsyncClient] = []

    async def make(*, host: str | None = None, **settings: Any) -> httpx.AsyncClient:
        services = {"limiter": settings.pop("limiter")} if "limiter" in settings else {}
        if host:
            settings["hosts"] = (host,)
        app = app_with("tickettailor", settings={"tickettailor": settings}, **services)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url=f"http://{host or 'testserver'}")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def tt(make_tt: ClientFactory) -> httpx.AsyncClient:
    return await make_tt()


@pytest.fixture
def small_limiter() -> RateLimiter:
    return RateLimiter("memory://")


@dataclass
class Seed:
    """One box office's live data as the tests see it, with a key of each kind."""

    office: asyncpg.Record
    scope: Scope
    key: str
    auth: dict[str, str]
    event: asyncpg.Record
    types: list[asyncpg.Record]
    group_id: int
    orders: list[asyncpg.Record]


async def make_event(conn: asyncpg.Connection, scope: Scope, **fields: Any) -> asyncpg.Record:
    data = {"title": "Hackney Downs 2020 Tulip Festival", "starts_at": START, "ends_at": END,
            "timezone": "Europe/London", "currency": "GBP", "ticket_types": [
                {"name": "Adult", "price": 800, "quantity": 100, "sort_order": 1},
                {"name": "Free ticket", "price": 0, "quantity": 10, "sort_order": 2}], **fields}
    event = await events.create_event(conn, scope, parse(EventCreate, data))
    return await events.publish_event(conn, scope, event["id"])


def order_input(event_id: int, type_id: int, quantity: int = 1, **buyer: Any) -> OrderCreate:
    return parse(OrderCreate, {
        "event_id": event_id, "lines": [{"ticket_type_id": type_id, "quantity": quantity}],
        "buyer": {"email": "john@example.com", "name": "John Doe", **buyer},
    })


@pytest.fixture
async def seed(conn: asyncpg.Connection, box_office: asyncpg.Record, make_key: Any) -> Seed:
    scope = Scope(box_office["id"], True)
    event = await make_event(conn, scope)
    types = await events.ticket_types_for(conn, [event["id"]])
    group_id = await conn.fetchval(
        "INSERT INTO ticket_groups (event_id, name, sort_order)"
        " VALUES ($1, 'April 20th', 50050) RETURNING id", event["id"])
    await conn.execute("UPDATE ticket_types SET group_id = $1 WHERE id = $2", group_id, types[0]["id"])
    types = await events.ticket_types_for(conn, [event["id"]])
    clock = ManualClock(T0)
    placed = []
    for quantity in (1, 2):
        data = order_input(event["id"], types[1]["id"], quantity)
        placed.append(await Checkout(clock).place(conn, scope, data))  # orders 10 s apart, at T0
        clock.advance(seconds=10)
    key = await make_key(box_office, "tickettailor")
    return Seed(box_office, scope, key, basic(key), event, types, group_id, placed)
