"""TicketSmart fixtures: the gateway's real app with only this dialect enabled, keys, events.

The ``app`` override builds the app with gateway.app.build_app, as served, over the session's
started gateway, with the sibling dialects switched off in its settings: these tests then never
depend on another dialect being importable while it is being written.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from core import events
from core.models import EventCreate, OrderCreate, Scope, parse
from core.orders import place_order
from dialects.equaticket.settings import Settings as EquaticketSettings
from dialects.tickettailor.settings import Settings as TicketTailorSettings
from gateway.app import build_app
from gateway.config import Dialects
from gateway.runtime import Gateway

BASE = "/ticketsmart/api/v1"
LATER = datetime(2031, 9, 1, 19, tzinfo=UTC)


@pytest.fixture(scope="session")
def app(gateway: Gateway) -> Any:
    only_ours = Dialects(tickettailor=TicketTailorSettings(enabled=False),
                         equaticket=EquaticketSettings(enabled=False))
    settings = gateway.settings.model_copy(update={"dialects": only_ours})
    return build_app(dataclasses.replace(gateway, settings=settings))


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
