"""Fixtures: one PostgreSQL database per test session (per xdist worker), one started gateway.

With TEST_DATABASE_URL (CI) the machine's server is used; otherwise the embedded one.
Tests never truncate: each makes its own box office (``box_office`` fixture), and
tenant scoping keeps them apart, so they run in parallel safely.

The one set of factories every suite uses (tests/factories.py, as fixtures here):
``make_box_office``, ``make_key``, ``make_event`` and ``sell`` (an order through the gateway's
checkout); ``app_with(*names, settings=..., **services)`` is the app as served with only those
dialects mounted: the one way a test mounts a dialect.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.checkout import Checkout
from core.clock import OffsetClock
from core.db import create_database, drop_database, init_connection, start_embedded
from core.models import Scope
from dialects import registry
from gateway.app import build_app
from gateway.config import load_settings
from gateway.runtime import Gateway
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "test-admin-token-0123456789"  # the operator API wants 24 characters or more


def _server_dsn() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI must set TEST_DATABASE_URL: nothing that needs PostgreSQL may be skipped")
    return start_embedded(ROOT / ".ticketgate-test")


@pytest.fixture(scope="session")
async def database_dsn() -> AsyncIterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tg_test_{worker}_{os.getpid()}"
    server = _server_dsn()
    yield await create_database(server, name)
    await drop_database(server, name)


@pytest.fixture(scope="session")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> None:
    clock.reset()


@pytest.fixture(scope="session")
async def gateway(database_dsn: str, clock: OffsetClock) -> AsyncIterator[Gateway]:
    # every in-process client has one address (httpx's ASGITransport): the suite's many wrong
    # keys must not spend a budget of failures (tests/gateway/test_auth_throttle.py has its own)
    settings = load_settings(environ={}, database_url=database_dsn, admin_token=ADMIN_TOKEN,
                             auth_failures_per_minute=1_000_000, development=True, pool_max_size=20,
                             webhook_worker=False)
    gw = Gateway(settings, clock=clock)
    await gw.start()
    yield gw
    await gw.stop()


@pytest.fixture(scope="session")
def app(gateway: Gateway) -> Any:
    return build_app(gateway)


AppFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def app_with(gateway: Gateway) -> AppFactory:
    """``app_with("ticketsmart")``: the app as served (gateway.app.build_app) over the session's
    gateway, with every other dialect switched off, so a dialect's tests never depend on
    another dialect being importable while it is being written.

    The one way tests mount a dialect: ``settings={"tickettailor": {"links": "host", "hosts":
    ("api.tickettailor.test",)}}`` overrides a dialect's settings (validated as the config file's
    would be), and keywords replace the gateway's services (``limiter=None``: no rate limits;
    ``limiter=RateLimiter("memory://")``: counts of the test's own)."""
    def build(*names: str, settings: Mapping[str, Mapping[str, Any]] | None = None, **services: Any) -> Any:
        unknown = set(names) - set(registry.NAMES)
        assert not unknown, f"no such dialect: {sorted(unknown)}"
        overrides = settings or {}
        assert set(overrides) <= set(names), f"settings for dialects not mounted: {sorted(set(overrides) - set(names))}"
        dialects = gateway.settings.dialects.model_copy(update={
            name: _dialect_settings(gateway, name, enabled=name in names, **overrides.get(name, {}))
            for name in registry.NAMES})
        served = gateway.settings.model_copy(update={"dialects": dialects})
        return build_app(dataclasses.replace(gateway, settings=served, **services))

    return build


def _dialect_settings(gateway: Gateway, name: str, **update: Any) -> Any:
    current = gateway.settings.dialect(name)
    return type(current).model_validate({**current.model_dump(), **update})


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def conn(gateway: Gateway) -> AsyncIterator[asyncpg.Connection]:
    async with factories.pool(gateway).acquire() as connection:
        yield connection


@pytest.fixture
async def db(database_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own loop-independent lifetime (for concurrency tests)."""
    connection = await asyncpg.connect(database_dsn)
    await init_connection(connection)
    yield connection
    await connection.close()


Factory = Callable[..., Awaitable[Any]]


@pytest.fixture
def make_box_office(gateway: Gateway) -> Factory:
    """``make_box_office(**fields)``: tests.factories.box_office on the session's database."""
    async def make(**fields: Any) -> asyncpg.Record:
        async with factories.pool(gateway).acquire() as c:
            return await factories.box_office(c, **fields)

    return make


@pytest.fixture
async def box_office(make_box_office: Factory) -> asyncpg.Record:
    return await make_box_office()


@pytest.fixture
def make_key(gateway: Gateway) -> Factory:
    """``make_key(office, dialect, mode="live", scopes=None)``: a new key's secret."""
    async def make(office: Any, dialect: str, *, mode: str = "live", scopes: list[str] | None = None) -> str:
        async with factories.pool(gateway).acquire() as c:
            return await factories.key(c, office, dialect, mode=mode, scopes=scopes)

    return make


@pytest.fixture
def checkout(gateway: Gateway) -> Checkout:
    """The gateway's checkout: its orders write webhook events, as served."""
    assert gateway.checkout is not None
    return gateway.checkout


@pytest.fixture
def make_event(gateway: Gateway) -> Factory:
    """``make_event(office, livemode=True, **fields)``: tests.factories.event in that mode."""
    async def make(office: Any, livemode: bool = True, **fields: Any) -> asyncpg.Record:
        async with factories.pool(gateway).acquire() as c:
            return await factories.event(c, Scope(office["id"], livemode), **fields)

    return make


@pytest.fixture
def sell(gateway: Gateway, checkout: Checkout) -> Factory:
    """``sell(office, event_id, type_id, quantity=1, livemode=True, **buyer)``: an order placed
    through the gateway's checkout (rules, stock, webhooks)."""
    async def sell(office: Any, event_id: int, type_id: int, quantity: int = 1, livemode: bool = True,
                   **buyer: Any) -> asyncpg.Record:
        async with factories.pool(gateway).acquire() as c:
            order = factories.order_input(event_id, type_id, quantity, **buyer)
            return await checkout.place(c, Scope(office["id"], livemode), order)

    return sell
