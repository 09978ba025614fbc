"""Fixtures: one PostgreSQL database per test session (per xdist worker), one started gateway.

With TEST_DATABASE_URL (CI) the machine's server is used; otherwise the embedded one.
Tests never truncate: each makes its own box office (``box_office`` fixture), and
tenant scoping keeps them apart, so they run in parallel safely.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core import boxoffices, keys
from core.clock import OffsetClock
from core.db import dsn_for_database, init_connection, start_embedded
from core.models import BoxOfficeCreate, parse
from dialects import registry
from gateway.app import build_app
from gateway.config import load_settings
from gateway.runtime import Gateway

ROOT = Path(__file__).resolve().parent.parent


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
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield dsn_for_database(server, name)
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> None:
    clock.reset()


@pytest.fixture(scope="session")
async def gateway(database_dsn: str, clock: OffsetClock) -> AsyncIterator[Gateway]:
    settings = load_settings(environ={}, database_url=database_dsn, admin_token="test-admin-token",
                             development=True, pool_max_size=20, webhook_worker=False)
    gw = Gateway(settings, clock=clock)
    await gw.start()
    yield gw
    await gw.stop()


@pytest.fixture(scope="session")
def app(gateway: Gateway) -> Any:
    return build_app(gateway)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def conn(gateway: Gateway) -> AsyncIterator[asyncpg.Connection]:
    assert gateway.pool is not None
    async with gateway.pool.acquire() as connection:
        yield connection


@pytest.fixture
async def db(database_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own loop-independent lifetime (for concurrency tests)."""
    connection = await asyncpg.connect(database_dsn)
    await init_connection(connection)
    yield connection
    await connection.close()


BoxOfficeFactory = Callable[..., Awaitable[asyncpg.Record]]


@pytest.fixture
def make_box_office(gateway: Gateway) -> BoxOfficeFactory:
    async def make(**fields: Any) -> asyncpg.Record:
        data = {"name": "Test Box Office", "slug": f"bo-{uuid.uuid4().hex[:12]}", "plan": "pro",
                "api_terms_accepted": True, "payments_connected": True, **fields}
        assert gateway.pool is not None
        async with gateway.pool.acquire() as c:
            return await boxoffices.create_box_office(c, parse(BoxOfficeCreate, data))

    return make


@pytest.fixture
async def box_office(make_box_office: BoxOfficeFactory) -> asyncpg.Record:
    return await make_box_office()


KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_key(gateway: Gateway) -> KeyFactory:
    async def make(office: Any, dialect: str, *, mode: str = "live",
                   scopes: list[str] | None = None) -> str:
        assert gateway.pool is not None
        async with gateway.pool.acquire() as c:
            _, secret = await keys.create_key(c, office["id"], registry.key_rules(dialect), livemode=mode == "live",
                                              scopes=scopes)
        return secret

    return make
