"""A fresh database per subprocess test: processes of its own never see another test's rows (a
webhook worker claims every due delivery of its database)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.db import create_database, drop_database, init_connection, migrate
from tests.conftest import _server_dsn
from tests.tickettailor.conftest import basic


@pytest.fixture
async def fresh_dsn() -> AsyncIterator[str]:
    """A new database on the suite's server (TEST_DATABASE_URL's, else the embedded one), migrated."""
    server, name = _server_dsn(), f"tg_life_{uuid.uuid4().hex[:12]}"
    dsn = await create_database(server, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield dsn
    await drop_database(server, name)


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


@pytest.fixture
async def dialect_keys(box_office: Any, make_key: Any) -> dict[str, dict[str, str]]:
    """A live key of each dialect for the session's box office, as each vendor's clients send it."""
    return {
        "ticketsmart": {"x-api-key": await make_key(box_office, "ticketsmart")},
        "tickettailor": basic(await make_key(box_office, "tickettailor")),
        "equaticket": {"authorization": f"Bearer {await make_key(box_office, 'equaticket')}"},
    }
