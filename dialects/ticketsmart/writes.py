"""TicketSmart's writes in one statement (core.event_writes): POST /events writes the event and its
ticket types and reads them back as GET shows them; a PATCH of fields and an ``addTicketType``
locks, checks, updates, inserts and reads back, all in one statement with one commit.

A request the statement does not answer (a slug in use, the event not found, times out of order,
``removeTicketTypeId``, a type in a ticket group, a PATCH that changes nothing) returns None
with nothing written, and routes.py runs the general path, which answers it with its own error.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core import event_writes
from core.ids import parse_id
from core.models import SLUG_RE, EventCreate, Scope
from dialects.ticketsmart import serializers
from dialects.ticketsmart.inputs import EventPatch
from dialects.ticketsmart.queries import View
from dialects.ticketsmart.serializers import EVENT_READ


async def create_event(conn: asyncpg.Connection, scope: Scope, data: EventCreate, view: View) -> dict[str, Any] | None:
    if not event_writes.insertable(data.ticket_types):
        return None
    row = await event_writes.create_event(conn, scope, data, EVENT_READ, now=view.now)
    return None if row is None else serializers.events([row], view.events_page)[0]


async def patch_event(conn: asyncpg.Connection, scope: Scope, ref: str, patch: EventPatch, view: View
                      ) -> dict[str, Any] | None:
    added = [] if patch.add is None else [patch.add]
    changes, number = patch.update.provided(), parse_id("event", ref)
    if patch.remove is not None or not (changes or added) or not event_writes.insertable(added):
        return None
    if number is None and not SLUG_RE.fullmatch(ref):
        return None  # not an id or a slug: the general path says not found without asking the database
    try:
        row = await event_writes.patch_event(conn, scope, number, ref, changes, added, EVENT_READ, now=view.now)
    except asyncpg.UniqueViolationError:
        return None  # the slug is another event's: the general path says so
    return None if row is None else serializers.events([row], view.events_page)[0]
