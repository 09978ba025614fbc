"""TicketSmart's reads, straight on asyncpg through the shapes of serializers.py.

Every GET is one statement (core.reads): a list is its page, its total (a head column of the
same statement, so an empty page past the end still has it) and every listed event's ticket
types; one event, its ticket types or its availability are the event found by id or slug with
its types (and their totals) aggregated in the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import events as core_events
from core import listing, reads
from core.errors import NotFound
from core.ids import parse_id
from core.listing import EventFilters, PageQuery
from core.models import SLUG_RE, Scope
from dialects.ticketsmart import serializers
from dialects.ticketsmart.serializers import AVAILABILITY_READ, EVENT_READ, TICKET_TYPES_READ

Objects = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class View:
    """What an event's wire object depends on besides its rows."""

    now: datetime  # ticket types' availability and on-sale flags
    events_page: str  # the box office's public events URL, the base of each publicUrl


async def event_page(conn: asyncpg.Connection, scope: Scope, filters: EventFilters, query: PageQuery,
                     view: View) -> tuple[Objects, int]:
    """One page of events and the number of events matching ``filters`` in all pages."""
    where = listing.event_where(scope, filters)
    total = ("_total", f"(SELECT count(*) FROM events e WHERE {where.sql()})")
    page = await reads.page(conn, EVENT_READ, listing.EVENTS, where, query, (total,), now=view.now)
    return serializers.events(page.rows, view.events_page), page.head["_total"]


async def event(conn: asyncpg.Connection, scope: Scope, event_id: int, view: View) -> dict[str, Any]:
    row = await reads.read_one(conn, EVENT_READ, listing.EVENTS, scope, event_id, now=view.now)
    (body,) = serializers.events([row], view.events_page)
    return body


# A reference is an id form, a slug, or both ("2024" may be either): an id form no slug can take
# (``evt_12``) is read by its id alone and a slug that is no id by its slug alone, each one index
# lookup; only a reference that may be both takes two (PostgreSQL runs each once, the slug's only
# when the id finds nothing), since an id that names an event wins over another event's slug that
# reads the same.
_SCOPED = "x.box_office_id = $1 AND x.livemode = $2"
BY_ID = "e.id = $3 AND e.box_office_id = $1 AND e.livemode = $2"
BY_SLUG = "e.slug = $3 AND e.box_office_id = $1 AND e.livemode = $2"
BY_REF = (f"e.id = coalesce((SELECT x.id FROM events x WHERE x.id = $3::bigint AND {_SCOPED}),"
          f" (SELECT x.id FROM events x WHERE x.slug = $4 AND {_SCOPED}))")


async def by_ref(conn: asyncpg.Connection, shape: reads.Shape, scope: Scope, ref: str, now: datetime) -> Any:
    """The event ``ref`` names (any id form, else its slug) in the scope's box office and mode,
    through ``shape``, in one statement; or 404."""
    number = parse_id("event", ref)
    keys: tuple[Any, ...]
    if not SLUG_RE.fullmatch(ref):
        if number is None:
            raise NotFound("event", "Event not found")  # not an id or slug: no lookup needed
        where, keys = BY_ID, (number,)
    elif number is None:
        where, keys = BY_SLUG, (ref,)
    else:
        where, keys = BY_REF, (number, ref)
    sql, names = shape.statement(listing.EVENTS, where, 2 + len(keys))
    values = {"now": now}
    row = await conn.fetchrow(sql, scope.box_office_id, scope.livemode, *keys, *[values[n] for n in names])
    if row is None:
        raise NotFound("event", "Event not found")
    return row


async def resolve(conn: asyncpg.Connection, scope: Scope, ref: str, columns: str = "e.id") -> Any:
    """The event ``ref`` names (any id form or its slug) in the scope's box office and mode, or 404."""
    if parse_id("event", ref) is None and not SLUG_RE.fullmatch(ref):
        raise NotFound("event", "Event not found")  # not an id or slug: no lookup needed
    return await core_events.resolve_event(conn, scope, ref, columns)


async def event_id(conn: asyncpg.Connection, scope: Scope, ref: str) -> int:
    number: int = (await resolve(conn, scope, ref))["id"]
    return number


async def event_by_ref(conn: asyncpg.Connection, scope: Scope, ref: str, view: View) -> dict[str, Any]:
    row = await by_ref(conn, EVENT_READ, scope, ref, view.now)
    (body,) = serializers.events([row], view.events_page)
    return body


async def ticket_types(conn: asyncpg.Connection, scope: Scope, ref: str, now: datetime) -> dict[str, Any]:
    """The body of GET .../ticket-types: the event's id and its types."""
    return TICKET_TYPES_READ.objects([await by_ref(conn, TICKET_TYPES_READ, scope, ref, now)])[0]


async def availability(conn: asyncpg.Connection, scope: Scope, ref: str, now: datetime) -> dict[str, Any]:
    return serializers.availability(await by_ref(conn, AVAILABILITY_READ, scope, ref, now))
