"""TicketSmart fixtures: the app with this dialect mounted as the gateway mounts it, keys, events.

The ``app`` override mounts only this dialect (at its configured prefix, like
gateway.app.dialect_routes), so these tests do not depend on sibling dialects being importable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core import events
from core.models import EventCreate, OrderCreate, Scope, parse
from core.orders import place_order
from dialects.ticketsmart import DIALECT
from gateway.runtime import Gateway

BASE = "/ticketsmart/api/v1"
LATER = datetime(2031, 9, 1, 19, tzinfo=UTC)


@pytest.fixture(scope="session")
def app(gateway: Gateway) -> Any:
    settings = gateway.settings.dialect("ticketsmart")
    dialect = DIALECT(gateway.services(), settings)
    return Starlette(routes=[Mount(settings.prefix, app=dialect.app())])


@pytest.fixture
async def key(box_office: Any, make_key: Any) -> str:
    return await make_key(box_office, "ticketsmart")


@pytest.fixture
def auth(key: str) -> dict[str, str]:
    return {"x-api-key": key}


@pytest.fixture
def make_event(conn: Any, clock: Any) -> Any:
    async def make(office: Any, livemode: bool = True, **fields: Any) -> Any:
        data = {"title": "Comedy Night", "starts_at": LATER,
                "ticket_types": [{"name": "General Admission", "price": 2500, "quantity": 120}], **fields}
        return await events.create_event(conn, Scope(office["id"], livemode), parse(EventCreate, data))

    return make


@pytest.fixture
def sell(conn: Any, clock: Any) -> Any:
    async def sell(office: Any, event_id: int, type_id: int, quantity: int = 1, livemode: bool = True) -> Any:
        order = parse(OrderCreate, {"event_id": event_id, "buyer": {"email": "b@example.com", "name": "B"},
                                    "lines": [{"ticket_type_id": type_id, "quantity": quantity}]})
        return await place_order(conn, Scope(office["id"], livemode), order, clock)

    return sell
