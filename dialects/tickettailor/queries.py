"""Reads on the hot path, straight on asyncpg: every GET is one statement (core.reads).

A list is its page with each row's children aggregated in the same statement (an event's
ticket types and groups, with the figures its status and ``tickets_available`` come from;
an order's issued tickets and line items), and the box office's payments flag as a column
the statement reads once. A cursor page carries, in the same statement, whether the cursor
names an object of the scope (core.listing.page_next_to). The issued ticket's projection
depends on the public base URL, so the reads are one object the dialect builds from its
services (no module holds a URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from core import listing, reads
from core.models import Scope
from core.reads import Shape
from dialects.spec import WireObject
from dialects.tickettailor import serializers
from dialects.tickettailor.serializers import EVENT_READ, Context

Objects = list[dict[str, Any]]


class Reads:
    """The dialect's reads, with the issued ticket object its public base URL completes."""

    def __init__(self, public_base_url: str) -> None:
        self.ticket: WireObject = serializers.issued_ticket(public_base_url)
        self.event_read = EVENT_READ
        self.order_read = serializers.order_read(self.ticket)
        self.ticket_read = Shape(self.ticket.projection)

    def events(self, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        return serializers.events(rows, ctx)

    def orders(self, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        return serializers.orders(rows, self.order_read)

    def tickets(self, rows: Sequence[asyncpg.Record], ctx: Context) -> Objects:
        return self.ticket.objects(rows)

    async def event(self, conn: asyncpg.Connection, scope: Scope, event_id: int, ctx: Context) -> asyncpg.Record:
        return await reads.read_one(conn, self.event_read, listing.EVENTS, scope, event_id, now=ctx.now,
                                    box_office=ctx.box_office_id)

    async def order(self, conn: asyncpg.Connection, scope: Scope, order_id: int) -> asyncpg.Record:
        return await reads.read_one(conn, self.order_read, listing.ORDERS, scope, order_id)

    async def ticket_row(self, conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> asyncpg.Record:
        return await reads.read_one(conn, self.ticket_read, listing.TICKETS, scope, ticket_id)
