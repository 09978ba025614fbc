"""TicketSmart's reads, straight on asyncpg through the projections of serializers.py.

A constant number of statements per request: a list is its page, its count and every listed
event's ticket types in one ``= ANY`` query; one event is its row and its ticket types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import events as core_events
from core import listing
from core.errors import NotFound
from core.ids import parse_id
from core.listing import KEY_ID, EventFilters, PageQuery
from core.models import SLUG_RE, Scope
from dialects.ticketsmart import serializers
from dialects.ticketsmart.serializers import AVAILABILITY_LINE, EVENT, TICKET_TYPE

Objects = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class View:
    """What an event's wire object depends on besides its rows."""

    now: datetime  # ticket types' availability and on-sale flags
    events_page: str  # the box office's public events URL, the base of each publicUrl


async def events(conn: asyncpg.Connection, rows: Sequence[Any], view: View) -> Objects:
    """Events (rows of the EVENT projection) with their ticket types, as the API shows them."""
    ids = [row[KEY_ID] for row in rows]
    types = await core_events.ticket_types_for(conn, ids, TICKET_TYPE.columns, view.now) if ids else []
    return serializers.events(rows, types, view.events_page)


async def event_page(conn: asyncpg.Connection, scope: Scope, filters: EventFilters, query: PageQuery,
                     view: View) -> tuple[Objects, int]:
    """One page of events and the number of events matching ``filters`` in all pages."""
    where = listing.event_where(scope, filters)
    page = await listing.page(conn, EVENT.columns, listing.EVENTS, where, query)
    total = await listing.count(conn, "events", "e", where)
    return await events(conn, page.rows, view), total


async def event(conn: asyncpg.Connection, scope: Scope, event_id: int, view: View) -> dict[str, Any]:
    row = await listing.read_one(conn, EVENT.columns, listing.EVENTS, scope, event_id)
    (body,) = await events(conn, [row], view)
    return body


async def resolve(conn: asyncpg.Connection, scope: Scope, ref: str, columns: str = "e.id") -> Any:
    """The event ``ref`` names (any id form or its slug) in the scope's box office and mode, or 404."""
    if parse_id("event", ref) is None and not SLUG_RE.fullmatch(ref):
        raise NotFound("event", "Event not found")  # not an id or slug: no lookup needed
    return await core_events.resolve_event(conn, scope, ref, columns)


async def event_id(conn: asyncpg.Connection, scope: Scope, ref: str) -> int:
    number: int = (await resolve(conn, scope, ref))["id"]
    return number


async def event_by_ref(conn: asyncpg.Connection, scope: Scope, ref: str, view: View) -> dict[str, Any]:
    row = await resolve(conn, scope, ref, EVENT.columns)
    (body,) = await events(conn, [row], view)
    return body


async def ticket_types(conn: asyncpg.Connection, event: int, now: datetime) -> Objects:
    return TICKET_TYPE.objects(await core_events.ticket_types_for(conn, [event], TICKET_TYPE.columns, now))


async def availability(conn: asyncpg.Connection, scope: Scope, ref: str, now: datetime) -> dict[str, Any]:
    row = await resolve(conn, scope, ref, EVENT.columns)
    lines = await core_events.ticket_types_for(conn, [row[KEY_ID]], AVAILABILITY_LINE.columns, now)
    return serializers.availability(row, lines, now)
