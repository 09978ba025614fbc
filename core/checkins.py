"""Check-ins: each scan of an issued ticket is a row of its own, with a quantity and a time.

A check-in admits ``quantity`` people on the ticket at ``at`` (the scan's time, the clock's when
not given); a negative quantity checks them out again (Ticket Tailor's semantics). The ticket
shows as checked in while the sum of its quantities is above zero: its ``checked_in_at`` is the
first check-in's time, cleared when the last person is checked out, which is what every dialect
reads (Equaticket's checked-in attendees, TicketSmart's tickets). A check-out below zero is
refused and writes nothing. The same ``nonce`` twice is one check-in (a scanner's retry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core import scoped
from core.clock import Clock
from core.errors import Conflict, ValidationFailed
from core.models import Scope

Emit = Callable[[asyncpg.Connection, Scope, str, int], Awaitable[None]]
MAX_QUANTITY = 100  # the check_ins table's bound, either way


@dataclass(frozen=True, slots=True)
class Scan:
    """One check-in request: who (the ticket), how many (negative: out), when, and its nonce."""

    ticket_id: int
    nonce: str
    quantity: int = 1
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    check_in: asyncpg.Record | None  # None: the nonce was seen before (nothing written)
    ticket: asyncpg.Record
    new: bool


_INSERT = ("INSERT INTO check_ins (ticket_id, nonce, quantity, check_in_at, created_at)"
           " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id, nonce) DO NOTHING RETURNING *")
# the ticket's flag follows the running total of its check-ins (this one included)
_TOTAL = "SELECT sum(quantity) FROM check_ins WHERE ticket_id = $1"
_FLAG = ("UPDATE issued_tickets SET checked_in_at = CASE WHEN $3 > 0 THEN coalesce(checked_in_at, $2) END,"
         " updated_at = now() WHERE id = $1 RETURNING *")


def check_quantity(quantity: int) -> None:
    if quantity == 0 or not -MAX_QUANTITY <= quantity <= MAX_QUANTITY:
        raise ValidationFailed.single(
            "quantity", f"must be a whole number from 1 to {MAX_QUANTITY} (negative to check out), not 0")


async def record(conn: asyncpg.Connection, scope: Scope, scan: Scan, clock: Clock, emit: Emit) -> Recorded:
    """Record one scan of one of the scope's valid tickets, in one transaction."""
    check_quantity(scan.quantity)
    now = clock.now()
    async with conn.transaction():
        ticket = await scoped.fetch_one(conn, "issued_tickets", "*", scope, scan.ticket_id, "issued_ticket",
                                        lock=" FOR UPDATE")
        if ticket["status"] != "valid":
            raise Conflict("A void ticket cannot be checked in")
        row = await conn.fetchrow(_INSERT, scan.ticket_id, scan.nonce, scan.quantity, scan.at or now, now)
        if row is None:
            return Recorded(None, ticket, False)
        total = await conn.fetchval(_TOTAL, scan.ticket_id)
        if total < 0:  # rolls the check-out back
            raise ValidationFailed.single("quantity", "cannot check out more people than are checked in")
        ticket = await conn.fetchrow(_FLAG, scan.ticket_id, scan.at or now, total)
        if scan.quantity > 0:
            await emit(conn, scope, "ticket.scanned", scan.ticket_id)
    return Recorded(row, ticket, True)
