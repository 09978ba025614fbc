"""Reads on the hot path, straight on asyncpg: rows of one page and their children.

Children are batch-loaded with ``= ANY($1)`` so a page costs a constant number of
queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from core import events as core_events
from core import listing
from core.errors import NotFound
from core.models import Scope
from dialects.tickettailor import serializers
from dialects.tickettailor.serializers import Context


def _by(rows: Sequence[asyncpg.Record], key: str) -> dict[int, list[asyncpg.Record]]:
    grouped: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


async def payments_connected(conn: asyncpg.Connection, scope: Scope) -> bool:
    value = await conn.fetchval(
        "SELECT payments_connected FROM box_offices WHERE id = $1", scope.box_office_id
    )
    return bool(value)


async def render_events(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context
) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    types = _by(await core_events.ticket_types_for(conn, ids), "event_id")
    groups = _by(await core_events.ticket_groups_for(conn, ids), "event_id")
    totals = await listing.event_totals(conn, ids)
    return [
        serializers.event(row, types[row["id"]], groups[row["id"]], totals.get(row["id"], (0, 0)), ctx)
        for row in rows
    ]


async def render_orders(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context
) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    items = _by(await listing.line_items_for(conn, ids), "order_id")
    tickets = _by(await listing.tickets_for_orders(conn, ids), "order_id")
    return [serializers.order(row, items[row["id"]], tickets[row["id"]], ctx) for row in rows]


async def render_tickets(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context
) -> list[dict[str, Any]]:
    return [serializers.issued_ticket(row, ctx) for row in rows]


async def get_order(conn: asyncpg.Connection, scope: Scope, order_id: int) -> asyncpg.Record:
    """One order with the event fields its summary needs (the list query's columns)."""
    row = await conn.fetchrow(
        f"{listing.ORDER_SELECT} WHERE o.id = $1 AND o.box_office_id = $2 AND o.livemode = $3",
        order_id, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("order", "Order not found")
    return row
