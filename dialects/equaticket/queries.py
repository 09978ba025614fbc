"""Equaticket's reads on asyncpg: rows through the projections of serializers.py, children
batch-loaded with one statement per kind (never one per parent).

``WebhookPayloads`` renders the objects of webhook events exactly as the GET endpoints return
them; it holds the public base URL the events' ``url`` is built on, so a process that never
builds the dialect's app (the CLI, a worker) renders the same absolute URLs.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core import listing
from core import subscriptions as subs
from core.events import ticket_type_by_id, ticket_types_for
from core.listing import KEY_ID, EventFilters, OrderFilters, Page, PageQuery, TicketFilters
from core.models import Scope
from dialects.equaticket import serializers as ser

Objects = list[dict[str, Any]]


async def events(conn: asyncpg.Connection, rows: list[Any], base: str, *, public: bool = False) -> Objects:
    """Events (rows of EVENT, or PUBLIC_EVENT when ``public``) with their ticket types nested."""
    if not rows:
        return []
    child = ser.PUBLIC_TICKET_TYPE if public else ser.TICKET_TYPE
    types = await ticket_types_for(conn, [row[KEY_ID] for row in rows], child.columns)
    return ser.nest_events(rows, types, base, public=public)


async def event(conn: asyncpg.Connection, scope: Scope, event_id: int, base: str) -> dict[str, Any]:
    row = await listing.read_one(conn, ser.EVENT.columns, listing.EVENTS, scope, event_id)
    return (await events(conn, [row], base))[0]


async def event_page(conn: asyncpg.Connection, scope: Scope, filters: EventFilters, query: PageQuery, base: str,
                     *, public: bool = False) -> tuple[Page, Objects]:
    parent = ser.PUBLIC_EVENT if public else ser.EVENT
    page = await listing.list_events(conn, parent.columns, scope, filters, query)
    return page, await events(conn, page.rows, base, public=public)


async def ticket_types(conn: asyncpg.Connection, event_id: int) -> Objects:
    return ser.TICKET_TYPE.objects(await ticket_types_for(conn, [event_id], ser.TICKET_TYPE.columns))


async def ticket_type(conn: asyncpg.Connection, type_id: int) -> dict[str, Any]:
    return ser.TICKET_TYPE.objects([await ticket_type_by_id(conn, type_id, ser.TICKET_TYPE.columns)])[0]


async def orders(conn: asyncpg.Connection, rows: list[Any]) -> Objects:
    if not rows:
        return []
    columns = ser.LINE_ITEM.columns
    items = await listing.line_items_for(conn, [row[KEY_ID] for row in rows], columns)
    return ser.nest_orders(rows, items)


async def order(conn: asyncpg.Connection, scope: Scope, order_id: int) -> dict[str, Any]:
    row = await listing.read_one(conn, ser.ORDER.columns, listing.ORDERS, scope, order_id)
    return (await orders(conn, [row]))[0]


async def order_page(conn: asyncpg.Connection, scope: Scope, query: PageQuery, *, filters: OrderFilters
                     ) -> tuple[Page, Objects]:
    page = await listing.list_orders(conn, ser.ORDER.columns, scope, filters, query)
    return page, await orders(conn, page.rows)


async def attendee(conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> dict[str, Any]:
    return ser.ATTENDEE.objects([await listing.read_one(conn, ser.ATTENDEE.columns, listing.TICKETS, scope,
                                                        ticket_id)])[0]


async def attendee_page(conn: asyncpg.Connection, scope: Scope, query: PageQuery, *, filters: TicketFilters
                        ) -> tuple[Page, Objects]:
    page = await listing.list_tickets(conn, ser.ATTENDEE.columns, scope, filters, query)
    return page, ser.ATTENDEE.objects(page.rows)


async def office_by_slug(conn: asyncpg.Connection, slug: str) -> int | None:
    office_id: int | None = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    return office_id


async def deliveries(conn: asyncpg.Connection, scope: Scope, subscription_id: int, query: PageQuery
                     ) -> tuple[Page, Objects]:
    """A subscription's deliveries, each with its attempts (one statement for all of them)."""
    page = await subs.list_deliveries(conn, scope, subscription_id, query)
    attempts: dict[int, list[Any]] = {}
    for row in await subs.attempts_for(conn, [r["id"] for r in page.rows]):
        attempts.setdefault(row["delivery_id"], []).append(row)
    return page, [ser.delivery(row, attempts.get(row["id"], []), scope.livemode) for row in page.rows]


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
