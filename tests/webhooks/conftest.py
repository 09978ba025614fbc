"""A production-mode gateway (development = false, an encryption key) on its own database.

Its own database, because starting it seals every stored secret with its key: on the session's
database that would leave the other gateways of the suite unable to read the cursor key."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.db import create_database, drop_database
from core.vault import Vault
from gateway.app import build_app
from gateway.config import load_settings
from gateway.runtime import Gateway
from tests import factories

KEY = Vault.generate_key()


@pytest.fixture(scope="module")
async def production(database_dsn: str) -> AsyncIterator[Gateway]:
    name = f"tg_prod_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    settings = load_settings(environ={}, database_url=await create_database(database_dsn, name),
                             webhook_worker=False, rate_limits_enabled=False, encryption_keys=[KEY],
                             webhook_allow_cidrs=["10.20.0.0/16"], pool_min_size=1, pool_max_size=4)
    gw = Gateway(settings)
    await gw.start()
    yield gw
    await gw.stop()
    await drop_database(database_dsn, name)


@pytest.fixture(scope="module")
async def production_client(production: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(production)),
                                 base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def production_key(production: Gateway) -> Any:
    async with factories.pool(production).acquire() as c:
        office = await factories.box_office(c)
        return await factories.key(c, office, "equaticket")
