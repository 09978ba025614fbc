"""Reads on the hot path, straight on asyncpg: rows of one page and their children.

Rows are read through the projections of the serializers' tables; children are batch-loaded
with ``= ANY($1)`` so a page costs a constant number of queries whatever its length. The
issued ticket's projection depends on the public base URL, so the reads are one object the
dialect builds from its services (no module holds a URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from core import events as core_events
from core import listing
from core.listing import KEY_ID
from core.models import Scope
from dialects.spec import WireObject
from dialects.tickettailor import serializers
from dialects.tickettailor.serializers import EVENT, LINE_ITEM, ORDER, TICKET_GROUP, TICKET_TYPE, Context

Objects = list[dict[str, Any]]


async def payments_connected(conn: asyncpg.Connection, scope: Scope) -> bool:
    value = await conn.fetchval(
        "SELECT payments_connected FROM box_offices WHERE id = $1", scope.box_office_id
    )
    return bool(value)


class Reads:
    """The dialect's reads, with the issued ticket object its public base URL completes."""

    def __init__(self, public_base_url: str) -> None:
        self.ticket: WireObject = serializers.issued_ticket(public_base_url)

    async def events(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        ids = [row[KEY_ID] for row in rows]
        if not ids:
            return []
        types = await core_events.ticket_types_for(conn, ids, TICKET_TYPE.columns, ctx.now)
        groups = await core_events.ticket_groups_for(conn, ids, TICKET_GROUP.columns)
        return serializers.events(rows, types, groups, ctx)

    async def orders(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        ids = [row[KEY_ID] for row in rows]
        if not ids:
            return []
        items = await listing.line_items_for(conn, ids, LINE_ITEM.columns)
        tickets = await listing.tickets_for_orders(conn, ids, self.ticket.columns)
        return serializers.orders(rows, items, tickets, self.ticket)

    async def tickets(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        return self.ticket.objects(rows)

    async def event(self, conn: asyncpg.Connection, scope: Scope, event_id: int) -> asyncpg.Record:
        return await listing.read_one(conn, EVENT.columns, listing.EVENTS, scope, event_id)

    async def order(self, conn: asyncpg.Connection, scope: Scope, order_id: int) -> asyncpg.Record:
        return await listing.read_one(conn, ORDER.columns, listing.ORDERS, scope, order_id)

    async def ticket_row(self, conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> asyncpg.Record:
        return await listing.read_one(conn, self.ticket.columns, listing.TICKETS, scope, ticket_id)
