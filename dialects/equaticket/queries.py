"""Equaticket's reads on asyncpg: every GET is one statement (core.reads), through the shapes
of serializers.py: rows with their children (an event's ticket types, an order's line items, a
delivery's attempts) aggregated in the same statement, and as its head whether the parent of a
nested list (an event's orders, a subscription's deliveries) is the scope's.

``WebhookPayloads`` renders the objects of webhook events exactly as the GET endpoints return
them; it holds the public base URL the events' ``url`` is built on, so a process that never
builds the dialect's app (the CLI, a worker) renders the same absolute URLs.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core import listing, reads
from core import subscriptions as subs
from core.errors import NotFound
from core.events import ticket_type_by_id
from core.listing import EventFilters, OrderFilters, Page, PageQuery, Source, TicketFilters, Where
from core.models import Scope
from core.projection import Field
from dialects.equaticket import serializers as ser

Objects = list[dict[str, Any]]


async def event(conn: asyncpg.Connection, scope: Scope, event_id: int, base: str) -> dict[str, Any]:
    return ser.events([await reads.read_one(conn, ser.EVENT_READ, listing.EVENTS, scope, event_id)], base)[0]


async def event_page(conn: asyncpg.Connection, scope: Scope, filters: EventFilters, query: PageQuery, base: str
                     ) -> tuple[Page, Objects]:
    page = await reads.page(conn, ser.EVENT_READ, listing.EVENTS, listing.event_where(scope, filters), query)
    return page, ser.events(page.rows, base)


async def public_event_page(conn: asyncpg.Connection, slug: str, filters: EventFilters, query: PageQuery, base: str
                            ) -> tuple[int | None, Page, Objects]:
    """The live events of the box office ``slug`` names, and its id (None: no such box office)."""
    where = Where()
    office = f"(SELECT b.id FROM box_offices b WHERE b.slug = {where.bind(slug)})"
    where.parts.append(f"e.box_office_id = {office} AND e.livemode")
    listing.event_filters(where, filters)
    head = ("_office", office)
    page = await reads.page(conn, ser.PUBLIC_EVENT_READ, listing.EVENTS, where, query, (head,))
    return page.head["_office"], page, ser.events(page.rows, base, public=True)


async def ticket_types(conn: asyncpg.Connection, scope: Scope, event_id: int) -> Objects:
    """All of an event's types (NotFound when the event is not the scope's)."""
    row = await reads.read_one(conn, ser.TICKET_TYPES_READ, listing.EVENTS, scope, event_id)
    types: Objects = row["data"]
    return types


async def ticket_type(conn: asyncpg.Connection, type_id: int) -> dict[str, Any]:
    return ser.TICKET_TYPE.objects([await ticket_type_by_id(conn, type_id, ser.TICKET_TYPE.columns)])[0]


async def order(conn: asyncpg.Connection, scope: Scope, order_id: int) -> dict[str, Any]:
    return ser.ORDER_READ.objects([await reads.read_one(conn, ser.ORDER_READ, listing.ORDERS, scope, order_id)])[0]


async def _within(conn: asyncpg.Connection, shape: reads.Shape, source: Source, where: Where, query: PageQuery,
                  scope: Scope, event_id: int | None) -> Page:
    """A page; ``event_id`` (an event's own list): NotFound unless the event is the scope's, read
    by the same statement."""
    head: tuple[Field, ...] = () if event_id is None else (listing.exists("events", where, scope, event_id),)
    page = await reads.page(conn, shape, source, where, query, head)
    if event_id is not None and not page.head["_found"]:
        raise NotFound("event")
    return page


async def order_page(conn: asyncpg.Connection, scope: Scope, query: PageQuery, *, filters: OrderFilters,
                     within: int | None = None) -> tuple[Page, Objects]:
    where = listing.order_where(scope, filters)
    page = await _within(conn, ser.ORDER_READ, listing.ORDERS, where, query, scope, within)
    return page, ser.ORDER_READ.objects(page.rows)


async def attendee(conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> dict[str, Any]:
    return ser.ATTENDEE.objects([await reads.read_one(conn, ser.ATTENDEE_READ, listing.TICKETS, scope,
                                                      ticket_id)])[0]


async def attendee_page(conn: asyncpg.Connection, scope: Scope, query: PageQuery, *, filters: TicketFilters,
                        within: int | None = None) -> tuple[Page, Objects]:
    where = listing.ticket_where(scope, filters)
    page = await _within(conn, ser.ATTENDEE_READ, listing.TICKETS, where, query, scope, within)
    return page, ser.ATTENDEE.objects(page.rows)


async def deliveries(conn: asyncpg.Connection, scope: Scope, subscription_id: int, query: PageQuery
                     ) -> tuple[Page, Objects]:
    """A subscription's deliveries, each with its attempts (one statement for all of them)."""
    page = await subs.list_deliveries(conn, scope, subscription_id, query, ser.DELIVERY_READ)
    return page, [ser.delivery(row, scope.livemode) for row in page.rows]


class WebhookPayloads:
    """The outbox's renderer (core.webhooks.Renderer): one order, event or attendee as GET returns it."""

    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")

    async def __call__(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> dict[str, Any]:
        if kind == "order":
            return await order(conn, scope, object_id)
        if kind == "attendee":
            return await attendee(conn, scope, object_id)
        if kind == "event":
            slug = await conn.fetchval("SELECT slug FROM box_offices WHERE id = $1", scope.box_office_id)
            return await event(conn, scope, object_id, ser.events_base(self.public_base_url, slug))
        raise ValueError(f"unknown webhook object kind: {kind}")
