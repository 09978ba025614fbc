"""Checkout, refunds, voids and check-ins.

Stock is taken in one conditional UPDATE per ticket type
(``sold = sold + n WHERE sold + held + n <= quantity``), inside the order's transaction,
in ticket-type id order so two multi-line orders never deadlock, and as its last write, so
the row lock that serialises buyers of one type is held for as short a time as possible. A CHECK constraint on
the table backs it up. Nothing else in ticketgate writes ``sold``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg

from core.clock import Clock
from core.errors import Conflict, FieldError, NotFound, SoldOut, Unprocessable, ValidationFailed
from core.events import get_event, on_sale_now
from core.models import OrderCreate, OrderLine, Scope

BARCODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
CLOSED_EVENT_STATUSES = ("cancelled", "completed", "archived")

# Called inside the order's transaction after each change, so a rolled-back change emits
# nothing: the webhook outbox observes here. One slot, so installing it twice is harmless.
OrderObserver = Callable[[asyncpg.Connection, Scope, str, int], Awaitable[None]]
_observer: list[OrderObserver] = []


def observe(observer: OrderObserver | None) -> None:
    _observer[:] = [observer] if observer is not None else []


async def _emit(conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None:
    for observer in _observer:
        await observer(conn, scope, kind, object_id)


def new_barcode() -> str:
    return "".join(secrets.choice(BARCODE_ALPHABET) for _ in range(10))


async def place_order(
    conn: asyncpg.Connection, scope: Scope, data: OrderCreate, clock: Clock
) -> asyncpg.Record:
    now = clock.now()
    async with conn.transaction():
        event = await get_event(conn, scope, data.event_id)
        if event["status"] in CLOSED_EVENT_STATUSES:
            raise Unprocessable(f"The event is {event['status']} and not selling tickets")
        types = await _ticket_types(conn, event["id"], data.lines)
        lines = sorted(data.lines, key=lambda line: line.ticket_type_id)
        _check_rules(lines, types, now)
        order = await _insert_order(conn, scope, event, data, types, now)
        await _insert_items(conn, scope, order, event, lines, types, data, now)
        await _emit(conn, scope, "order.placed", order["id"])
        # Stock last: the UPDATE locks the ticket type's row until COMMIT, and every other buyer
        # of that type queues on it, so nothing but the sold-out check may run while it is held.
        left = [await _take_stock(conn, types[line.ticket_type_id], line.quantity) for line in lines]
        if not any(left) and await _event_sold_out(conn, event["id"]):
            await _emit(conn, scope, "event.sold_out", event["id"])
    return order


async def _ticket_types(
    conn: asyncpg.Connection, event_id: int, lines: list[OrderLine]
) -> dict[int, asyncpg.Record]:
    ids = [line.ticket_type_id for line in lines]
    rows = await conn.fetch(
        "SELECT * FROM ticket_types WHERE event_id = $1 AND id = ANY($2::bigint[])", event_id, ids
    )
    found = {row["id"]: row for row in rows}
    missing = [
        FieldError(f"lines.{i}.ticket_type_id", "no such ticket type for this event")
        for i, tid in enumerate(ids)
        if tid not in found
    ]
    if missing:
        raise ValidationFailed(missing)
    return found


def _check_rules(lines: list[OrderLine], types: dict[int, Any], now: datetime) -> None:
    for line in lines:
        tt = types[line.ticket_type_id]
        if not on_sale_now(tt, now):
            raise Unprocessable(f"{tt['name']} is not on sale")
        if tt["hidden"] and not tt["access_code"]:
            raise Unprocessable(f"{tt['name']} is hidden and has no access code")
        if tt["access_code"] and line.access_code != tt["access_code"]:
            raise Unprocessable(f"{tt['name']} needs a valid access code")
        if line.quantity < tt["min_per_order"]:
            raise Unprocessable(f"{tt['name']}: at least {tt['min_per_order']} per order")
        if line.quantity > tt["max_per_order"]:
            raise Unprocessable(f"{tt['name']}: at most {tt['max_per_order']} per order")


async def _take_stock(conn: asyncpg.Connection, ticket_type: Any, quantity: int) -> bool:
    """Take the seats or raise SoldOut; True when this visible type still has seats after it.

    A visible type with seats left means the event is not sold out, so the caller can skip
    the event-wide check while it holds the row lock.
    """
    left = await conn.fetchval(
        "UPDATE ticket_types SET sold = sold + $2, updated_at = now()"
        " WHERE id = $1 AND sold + held + $2 <= quantity"
        " RETURNING status <> 'hidden' AND sold + held < quantity",
        ticket_type["id"], quantity,
    )
    if left is None:
        raise SoldOut(f"{ticket_type['name']} is sold out" if quantity == 1 else
                      f"Not enough {ticket_type['name']} tickets left for {quantity}")
    return bool(left)


async def _insert_order(
    conn: asyncpg.Connection, scope: Scope, event: Any, data: OrderCreate, types: dict[int, Any],
    now: datetime,
) -> asyncpg.Record:
    subtotal = sum(types[ln.ticket_type_id]["price"] * ln.quantity for ln in data.lines)
    fees = sum(types[ln.ticket_type_id]["booking_fee"] * ln.quantity for ln in data.lines)
    buyer = data.buyer
    method = data.payment_method if subtotal + fees + data.tax > 0 else "no_cost"
    return await conn.fetchrow(
        "INSERT INTO orders (box_office_id, livemode, event_id, buyer_name, buyer_email, buyer_phone,"
        " buyer_address, custom_questions, currency, subtotal, booking_fee, tax, total,"
        " payment_method, txn_id, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)"
        " RETURNING *",
        scope.box_office_id, scope.livemode, event["id"], buyer.name, buyer.email, buyer.phone,
        buyer.address.model_dump(), [a.model_dump() for a in buyer.custom_questions],
        event["currency"], subtotal, fees, data.tax, subtotal + fees + data.tax, method,
        data.txn_id or f"txn_{secrets.token_hex(8)}", now,
    )


async def _insert_items(
    conn: asyncpg.Connection, scope: Scope, order: Any, event: Any, lines: list[OrderLine],
    types: dict[int, Any], data: OrderCreate, now: datetime,
) -> None:
    names = data.buyer.name.split(" ", 1) if data.buyer.name else []
    first, last = (names + [None, None])[:2] if names else (None, None)
    tickets = []
    for line in lines:
        tt = types[line.ticket_type_id]
        value = tt["price"] * line.quantity
        fee = tt["booking_fee"] * line.quantity
        await conn.execute(
            "INSERT INTO order_line_items (order_id, ticket_type_id, type, description, quantity,"
            " value, booking_fee, total) VALUES ($1, $2, 'ticket', $3, $4, $5, $6, $7)",
            order["id"], tt["id"], tt["name"], line.quantity, value, fee, value + fee,
        )
        for _ in range(line.quantity):
            tickets.append((scope.box_office_id, scope.livemode, order["id"], event["id"], tt["id"],
                            new_barcode(), tt["name"], first, last, data.buyer.email, now))
    await conn.executemany(
        "INSERT INTO issued_tickets (box_office_id, livemode, order_id, event_id, ticket_type_id,"
        " barcode, description, first_name, last_name, email, created_at, updated_at, reference)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $6)",
        tickets,
    )


async def _event_sold_out(conn: asyncpg.Connection, event_id: int) -> bool:
    return await conn.fetchval(
        "SELECT bool_and(sold + held >= quantity) AND count(*) > 0 FROM ticket_types"
        " WHERE event_id = $1 AND status <> 'hidden'",
        event_id,
    ) or False


async def get_order(conn: asyncpg.Connection, scope: Scope, order_id: int) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT * FROM orders WHERE id = $1 AND box_office_id = $2 AND livemode = $3",
        order_id, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("order", "Order not found")
    return row


async def refund_order(
    conn: asyncpg.Connection, scope: Scope, order_id: int, amount: int | None = None
) -> asyncpg.Record:
    """Refund ``amount`` (minor units), or everything left when None.

    A full refund voids the order's tickets and returns their seats to stock.
    """
    async with conn.transaction():
        order = await conn.fetchrow(
            "SELECT * FROM orders WHERE id = $1 AND box_office_id = $2 AND livemode = $3 FOR UPDATE",
            order_id, scope.box_office_id, scope.livemode,
        )
        if order is None:
            raise NotFound("order", "Order not found")
        remaining = order["total"] - order["refund_amount"]
        if order["status"] == "refunded" or (remaining <= 0 and order["total"] > 0):
            raise Conflict("The order is already fully refunded")
        amount = remaining if amount is None else amount
        if amount < 0 or amount > remaining:
            raise ValidationFailed.single("amount", f"must be between 0 and {remaining}")
        full = amount == remaining
        if full:
            await _void_order_tickets(conn, order_id)
        row = await conn.fetchrow(
            "UPDATE orders SET refund_amount = refund_amount + $2, status = $3, updated_at = now()"
            " WHERE id = $1 RETURNING *",
            order_id, amount, "refunded" if full else order["status"],
        )
        await _emit(conn, scope, "order.refunded", order_id)
    return row


async def _void_order_tickets(conn: asyncpg.Connection, order_id: int) -> None:
    voided = await conn.fetch(
        "UPDATE issued_tickets SET status = 'void', voided_at = now(), updated_at = now()"
        " WHERE order_id = $1 AND status = 'valid' RETURNING ticket_type_id",
        order_id,
    )
    await _release_many(conn, [r["ticket_type_id"] for r in voided])


async def _release_many(conn: asyncpg.Connection, type_ids: list[int | None]) -> None:
    counts: dict[int, int] = {}
    for type_id in type_ids:
        if type_id is not None:
            counts[type_id] = counts.get(type_id, 0) + 1
    for type_id in sorted(counts):
        await conn.execute(
            "UPDATE ticket_types SET sold = greatest(sold - $2, 0), updated_at = now() WHERE id = $1",
            type_id, counts[type_id],
        )


async def get_ticket(conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT * FROM issued_tickets WHERE id = $1 AND box_office_id = $2 AND livemode = $3",
        ticket_id, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("issued_ticket", "Issued ticket not found")
    return row


async def void_ticket(conn: asyncpg.Connection, scope: Scope, ticket_id: int) -> asyncpg.Record:
    """Void one ticket and return its seat to stock."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "UPDATE issued_tickets SET status = 'void', voided_at = now(), updated_at = now()"
            " WHERE id = $1 AND box_office_id = $2 AND livemode = $3 AND status = 'valid' RETURNING *",
            ticket_id, scope.box_office_id, scope.livemode,
        )
        if row is None:
            await get_ticket(conn, scope, ticket_id)  # raises NotFound when it is not ours
            raise Conflict("The ticket is already void")
        await _release_many(conn, [row["ticket_type_id"]])
    return row


async def check_in(
    conn: asyncpg.Connection, scope: Scope, ticket_id: int, nonce: str, clock: Clock
) -> tuple[asyncpg.Record, bool]:
    """Check a ticket in. The same nonce twice is one check-in; returns (ticket, is_new)."""
    async with conn.transaction():
        ticket = await conn.fetchrow(
            "SELECT * FROM issued_tickets WHERE id = $1 AND box_office_id = $2 AND livemode = $3"
            " FOR UPDATE",
            ticket_id, scope.box_office_id, scope.livemode,
        )
        if ticket is None:
            raise NotFound("issued_ticket", "Issued ticket not found")
        if ticket["status"] != "valid":
            raise Conflict("A void ticket cannot be checked in")
        inserted = await conn.fetchval(
            "INSERT INTO check_ins (ticket_id, nonce, created_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (ticket_id, nonce) DO NOTHING RETURNING id",
            ticket_id, nonce, clock.now(),
        )
        if inserted is None:
            return ticket, False
        ticket = await conn.fetchrow(
            "UPDATE issued_tickets SET checked_in_at = coalesce(checked_in_at, $2), updated_at = now()"
            " WHERE id = $1 RETURNING *",
            ticket_id, clock.now(),
        )
        await _emit(conn, scope, "ticket.scanned", ticket_id)
    return ticket, True


async def find_ticket_by_barcode(conn: asyncpg.Connection, scope: Scope, barcode: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT * FROM issued_tickets WHERE barcode = $1 AND box_office_id = $2 AND livemode = $3",
        barcode, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("issued_ticket", "Issued ticket not found")
    return row
