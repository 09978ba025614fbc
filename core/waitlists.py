"""Waitlist signups: a buyer who asks to hear when an occurrence that sold out has seats again.

A signup names an occurrence (an event) and belongs to its series. It is taken only while the
occurrence is sold out (its event status says so, none of its visible ticket types has a
seat left, or it has sold its series' cap per occurrence): for an event still selling, the
buyer should buy, so the signup is refused.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.errors import NotFound, NotSoldOut
from core.models import Scope
from core.offers import WaitlistSignupCreate

# sold out: by its status, by its visible ticket types, or by its series' cap per occurrence
_EVENT = (
    "SELECT e.id, e.series_id, e.status = 'sold_out' OR coalesce((SELECT bool_and(tt.sold + tt.held >= tt.quantity)"
    " FROM ticket_types tt WHERE tt.event_id = e.id AND tt.status <> 'hidden' AND NOT tt.hidden), false)"
    " OR coalesce((SELECT s.max_tickets_sold_per_occurrence FROM event_series s WHERE s.id = e.series_id)"
    " <= (SELECT sum(tt.sold + tt.held) FROM ticket_types tt WHERE tt.event_id = e.id), false) AS sold_out"
    " FROM events e WHERE e.id = $1 AND e.box_office_id = $2 AND e.livemode = $3"
)
_INSERT = (
    "INSERT INTO waitlist_signups (box_office_id, livemode, series_id, event_id, email, first_name, last_name,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *"
)


async def sign_up(conn: asyncpg.Connection, scope: Scope, data: WaitlistSignupCreate, now: datetime) -> asyncpg.Record:
    event = await conn.fetchrow(_EVENT, data.event_id, scope.box_office_id, scope.livemode)
    if event is None:
        raise NotFound("event")
    if not event["sold_out"]:
        raise NotSoldOut("The event is not sold out: tickets can still be bought")
    return await conn.fetchrow(_INSERT, scope.box_office_id, scope.livemode, event["series_id"], event["id"],
                               data.email, data.first_name, data.last_name, now)


async def list_signups(conn: asyncpg.Connection, scope: Scope, series_id: int,
                       limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM waitlist_signups WHERE series_id = $1 AND box_office_id = $2"
                            " AND livemode = $3 ORDER BY created_at DESC, id DESC LIMIT $4",
                            series_id, scope.box_office_id, scope.livemode, limit)
