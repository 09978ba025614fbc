"""Links an object keeps as arrays of ids (a discount's ticket types, a voucher's series):
each id must name a row of the caller's box office and mode when the link is written."""

from __future__ import annotations

import asyncpg

from core.errors import FieldError, ValidationFailed
from core.models import Scope

# the tenant column each linked table is scoped by (ticket types through their event)
_OWNED = {
    "event_series": "SELECT id FROM event_series WHERE id = ANY($1::bigint[]) AND box_office_id = $2 AND livemode = $3",
    "products": "SELECT id FROM products WHERE id = ANY($1::bigint[]) AND box_office_id = $2 AND livemode = $3",
    "ticket_types": "SELECT tt.id FROM ticket_types tt JOIN events e ON e.id = tt.event_id"
                    " WHERE tt.id = ANY($1::bigint[]) AND e.box_office_id = $2 AND e.livemode = $3",
}


async def check_owned(conn: asyncpg.Connection, scope: Scope, table: str, ids: list[int], field: str) -> list[int]:
    """``ids`` without duplicates, in the order given, once each is known to be the scope's."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return wanted
    found = {r["id"] for r in await conn.fetch(_OWNED[table], wanted, scope.box_office_id, scope.livemode)}
    missing = [FieldError(f"{field}.{n}", f"no such {table.removesuffix('s').replace('_', ' ')}: {i}")
               for n, i in enumerate(ids) if i not in found]
    if missing:
        raise ValidationFailed(missing)
    return wanted


async def office_currency(conn: asyncpg.Connection, scope: Scope) -> str:
    currency: str = await conn.fetchval("SELECT currency FROM box_offices WHERE id = $1", scope.box_office_id)
    return currency
