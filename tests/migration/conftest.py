"""Fixtures for the migration toolkit: a seeded "vendor" box office and HTTP clients into the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from core import events
from core.checkout import Checkout
from core.clock import SystemClock
from core.db import create_database, drop_database
from core.models import EventCreate, OrderCreate, Scope, parse
from dialects import registry
from gateway.app import build_app
from gateway.config import load_settings
from gateway.migration.clients import http_client
from gateway.runtime import Gateway
from tests import factories

PREFIX = {name: registry.settings_class(name)().prefix for name in registry.NAMES}  # default mounts
START = datetime(2031, 6, 1, 19, tzinfo=UTC)


async def seed_office(conn: asyncpg.Connection, office: Any, n_events: int = 3, orders_per_event: int = 2) -> dict:
    """Events (published, two ticket types each) with orders from distinct buyers."""
    scope = Scope(office["id"], True)
    made: dict[str, list] = {"events": [], "orders": []}
    for i in range(n_events):
        event = await events.create_event(conn, scope, parse(EventCreate, {
            "title": f"Show {i}", "starts_at": START + timedelta(days=i), "timezone": "Europe/London",
            "venue_name": "Hall", "category": "music",
            "ticket_types": [{"name": "GA", "price": 1500, "booking_fee": 100, "quantity": 40},
                             {"name": "VIP", "price": 5000, "quantity": 5, "sort_order": 1}]}))
        await events.publish_event(conn, scope, event["id"])
        types = await events.ticket_types_for(conn, [event["id"]])
        made["events"].append(event["id"])
        for j in range(orders_per_event):
            order = await Checkout(SystemClock()).place(conn, scope, parse(OrderCreate, {
                "event_id": event["id"],
                "buyer": {"email": f"buyer{i}{j}@mail.test", "name": f"Buyer{i} Person{j}", "phone": "+44 7700 900123",
                          "address": {"address_1": "1 Private Road", "postal_code": "AB1 2CD"}},
                "lines": [{"ticket_type_id": types[0]["id"], "quantity": 2},
                          {"ticket_type_id": types[1]["id"], "quantity": 1}]}))
            made["orders"].append(order["id"])
    return made


async def no_sleep(seconds: float) -> None:
    return None


def asgi_transport(app: Any) -> Callable[[], httpx.AsyncBaseTransport]:
    return lambda: httpx.ASGITransport(app=app)


def asgi_http(app: Any, dialect: str, sleep: Callable | None = None) -> httpx.AsyncClient:
    """An httpx client into the in-process app, through the rate-limit transport the CLI uses."""
    return http_client(dialect, asgi_transport(app), sleep=sleep or no_sleep)[0]


@pytest.fixture
async def vendor(conn, make_box_office, make_key) -> AsyncIterator[dict]:
    office = await make_box_office(currency="GBP")
    seeded = await seed_office(conn, office)
    keys = {d: await make_key(office, d) for d in PREFIX}
    yield {"office": office, "keys": keys, **seeded}


@pytest.fixture(scope="session")
async def target_gateway(database_dsn: str, clock) -> AsyncIterator[Gateway]:
    """A second ticketgate on its own database: the box office migrates *into* it.

    Barcodes are unique across a whole database, so importing a box office into the very
    database it came from would collide; a real migration targets another installation.
    """
    name = f"tg_target_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    settings = load_settings(environ={}, database_url=await create_database(database_dsn, name), development=True,
                             pool_max_size=10, webhook_worker=False, rate_limits_enabled=False)
    gw = Gateway(settings, clock=clock)
    await gw.start()
    yield gw
    await gw.stop()
    await drop_database(database_dsn, name)


@pytest.fixture(scope="session")
def target_app(target_gateway: Gateway) -> Any:
    return build_app(target_gateway)


@pytest.fixture
async def target_conn(target_gateway: Gateway) -> AsyncIterator[asyncpg.Connection]:
    async with factories.pool(target_gateway).acquire() as connection:
        yield connection


@pytest.fixture
async def target_office(target_conn) -> Any:
    return await factories.box_office(target_conn, name="Migrated", slug=f"mig-{uuid.uuid4().hex[:12]}",
                                      currency="GBP")


async def target_key(conn: asyncpg.Connection, office: Any, dialect: str, mode: str = "live") -> str:
    return await factories.key(conn, office, dialect, mode=mode)
