"""The hostile corpus: the app as served with every dialect and the operator API mounted, a
key of each dialect for the test's own box office, and the row counts that show nothing was
half-written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from tests.tickettailor.conftest import basic

ADMIN = {"authorization": "Bearer test-admin-token-0123456789"}
# every table a write of a dialect or the operator API can touch, counted per box office
COUNTS = {table: f"SELECT count(*) FROM {table} WHERE box_office_id = $1"
          for table in ("events", "orders", "issued_tickets", "webhook_subscriptions", "api_keys")}
COUNTS["ticket_types"] = "SELECT count(*) FROM ticket_types JOIN events e ON e.id = event_id WHERE e.box_office_id = $1"
COUNTS["box_offices"] = "SELECT count(*) FROM box_offices"  # the operator API creates them


@dataclass(frozen=True)
class Dialect:
    name: str
    base: str  # the mount and API prefix
    headers: dict[str, str]  # the key's credential


@pytest.fixture(scope="session")
def app(app_with: Any) -> Any:
    return app_with("ticketsmart", "tickettailor", "equaticket")


@pytest.fixture
async def keys(box_office: Any, make_key: Any) -> dict[str, Dialect]:
    smart = await make_key(box_office, "ticketsmart")
    tailor = await make_key(box_office, "tickettailor")
    equa = await make_key(box_office, "equaticket")
    return {
        "ticketsmart": Dialect("ticketsmart", "/ticketsmart/api/v1", {"x-api-key": smart}),
        "tickettailor": Dialect("tickettailor", "/tickettailor/v1", basic(tailor)),
        "equaticket": Dialect("equaticket", "/equaticket/api/v1", {"authorization": f"Bearer {equa}"}),
    }


async def counts(conn: asyncpg.Connection, office_id: int) -> dict[str, int]:
    """Rows of the box office in every table a write touches."""
    return {table: await conn.fetchval(sql, *([] if table == "box_offices" else [office_id]))
            for table, sql in COUNTS.items()}


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c
