"""Issued tickets: read one, void one (its seat back to stock), check one in.

Stock is released here and taken only by checkout; nothing else writes ``sold``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from core import checkins, scoped
from core.clock import Clock
from core.errors import Conflict, NotFound
from core.models import Scope

# tells the observers of order changes (core.checkout.Checkout.emit), inside the transaction
Emit = Callable[[asyncpg.Connection, Scope, str, int], Awaitable[None]]

_VOID = "UPDATE issued_tickets SET status = 'void', voided_at = now(), updated_at = now()"


async def get_ticket(conn: asyncpg.Connection, scope: Scope, ticket_id: int, *, lock: str = "") -> Any:
    return await scoped.fetch_one(conn, "issued_tickets", "*", scope, ticket_id, "issued_ticket", lock=lock)


async def find_ticket_by_barcode(conn: asyncpg.Connection, scope: Scope, barcode: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT * FROM issued_tickets WHERE barcode = $1 AND box_office_id = $2 AND livemode = $3",
        barcode, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("issued_ticket")
    return row


async def void_ticket(conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> asyncpg.Record:
    """Void one ticket and return its seat to stock."""
    async with conn.transaction():
        row = await conn.fetchrow(
            f"{_VOID} WHERE {scoped.scoped()} AND status = 'valid' RETURNING *", *scoped.args(scope, ticket_id)
        )
        if row is None:
            await get_ticket(conn, scope, ticket_id)  # raises NotFound when it is not ours
            raise Conflict("The ticket is already void")
        await release(conn, [row["ticket_type_id"]])
    return row


async def void_order_tickets(conn: asyncpg.Connection, order_id: int) -> None:
    """Void the order's valid tickets and return their seats (inside the caller's transaction)."""
    voided = await conn.fetch(
        f"{_VOID} WHERE order_id = $1 AND status = 'valid' RETURNING ticket_type_id", order_id
    )
    await release(conn, [r["ticket_type_id"] for r in voided])


async def release(conn: asyncpg.Connection, type_ids: list[int | None]) -> None:
    """One seat back to stock per entry, type by type in id order (two releases never deadlock)."""
    counts: dict[int, int] = {}
    for type_id in type_ids:
        if type_id is not None:
            counts[type_id] = counts.get(type_id, 0) + 1
    for type_id in sorted(counts):
        await conn.execute(
            "UPDATE ticket_types SET sold = greatest(sold - $2, 0), updated_at = now() WHERE id = $1",
            type_id, counts[type_id],
        )


async def check_in(
    conn: asyncpg.Connection, scope: Scope, ticket_id: int, nonce: str, clock: Clock, emit: Emit
) -> tuple[asyncpg.Record, bool]:
    """Check a ticket in (one person, now). The same nonce twice is one check-in; returns (ticket, is_new)."""
    done = await checkins.record(conn, scope, checkins.Scan(ticket_id, nonce), clock, emit)
    return done.ticket, done.new
