"""The test data every suite makes, once: box offices, keys, events, orders.

Plain functions of a connection, so that a fixture over any gateway (the session's, the
migration target's) can use them; the root conftest wraps them as ``make_box_office``,
``make_key``, ``make_event`` and ``sell``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core import boxoffices, events, keys
from core.models import BoxOfficeCreate, EventCreate, OrderCreate, Scope, parse
from dialects import registry

LATER = datetime(2031, 9, 1, 19, tzinfo=UTC)  # an event's default start: always in the future


def pool(gateway: Any) -> asyncpg.Pool:
    """A started gateway's pool."""
    assert gateway.pool is not None, "start() the gateway first"
    pool_: asyncpg.Pool = gateway.pool
    return pool_


async def box_office(conn: asyncpg.Connection, **fields: Any) -> asyncpg.Record:
    """A box office on the pro plan that may use the API and take payments, under a fresh slug."""
    data = {"name": "Test Box Office", "slug": f"bo-{uuid.uuid4().hex[:12]}", "plan": "pro",
            "api_terms_accepted": True, "payments_connected": True, **fields}
    return await boxoffices.create_box_office(conn, parse(BoxOfficeCreate, data))


async def key(conn: asyncpg.Connection, office: Any, dialect: str, *, mode: str = "live",
              scopes: list[str] | None = None) -> str:
    """A new key of the dialect for the office; its secret."""
    _, secret = await keys.create_key(conn, office["id"], registry.key_rules(dialect), livemode=mode == "live",
                                      scopes=scopes)
    return secret


async def event(conn: asyncpg.Connection, scope: Scope, **fields: Any) -> asyncpg.Record:
    """An event; by default "Comedy Night" with one ticket type, 120 seats at 25.00."""
    data = {"title": "Comedy Night", "starts_at": LATER,
            "ticket_types": [{"name": "General Admission", "price": 2500, "quantity": 120}], **fields}
    return await events.create_event(conn, scope, parse(EventCreate, data))


async def event_with_type(
    conn: asyncpg.Connection, scope: Scope, title: str = "Show", **ticket_type: Any
) -> tuple[int, int]:
    """An event with one ticket type (GA: 50 seats at 10.00 unless ``ticket_type`` says otherwise);
    (event id, ticket type id)."""
    made = await event(conn, scope, title=title,
                       ticket_types=[{"name": "GA", "price": 1000, "quantity": 50, **ticket_type}])
    return made["id"], (await events.ticket_types_for(conn, [made["id"]]))[0]["id"]


def order_input(event_id: int, type_id: int, quantity: int = 1, **buyer: Any) -> OrderCreate:
    """An order of ``quantity`` seats of one type; the buyer's fields over b@example.com, "B"."""
    return parse(OrderCreate, {"event_id": event_id, "buyer": {"email": "b@example.com", "name": "B", **buyer},
                               "lines": [{"ticket_type_id": type_id, "quantity": quantity}]})
