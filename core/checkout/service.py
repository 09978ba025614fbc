"""``Checkout``: placing and refunding orders, and checking tickets in, with their observers told."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg

from core import checkins, scoped, tickets
from core.checkout import offers, rules
from core.checkout.batches import GroupCommit
from core.checkout.sql import (
    CAPPED_TYPES_SQL,
    EVENT_SOLD_OUT_SQL,
    ORDER_SQL,
    REFUNDED_SQL,
    TAKE_STOCK_SQL,
    Order,
    context_sql,
)
from core.clock import Clock
from core.errors import CoreError, FieldError, NotFound, ValidationFailed
from core.events import available
from core.models import OrderCreate, OrderLine, Scope

PLACE_ORDER_KINDS = ["order.placed", "event.sold_out"]
BY_ID, BY_SLUG = "b.id = $1", "b.slug = $1"


class CheckoutStats(Protocol):
    """Told each checkout's outcome and each group commit's size (the gateway's metrics)."""

    def outcome(self, outcome: str) -> None: ...

    def batch(self, orders: int) -> None: ...


class OrderObserver(Protocol):
    """Called inside the order's transaction after each change, so a rolled-back change emits nothing."""

    # SQL, true when the observer wants any of the kinds {kinds} (text[]) for box office
    # {box_office} in mode {livemode}; checkout skips its transaction when nobody does
    @property
    def watching(self) -> str: ...

    async def __call__(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None: ...


class Checkout:
    """Built once per process (the gateway's, the CLI's) with its clock, the observers of order
    changes (the webhook outbox) and the group commit its buyers share."""

    def __init__(
        self, clock: Clock, observers: Sequence[OrderObserver] = (), batches: GroupCommit | None = None,
        stats: CheckoutStats | None = None,
    ) -> None:
        self.clock = clock
        self.observers = tuple(observers)
        self.stats = stats
        self.batches = batches if batches is not None else GroupCommit(stats.batch if stats else None)
        checks = [o.watching.format(box_office="b.id", livemode="$2", kinds="$5::text[]") for o in self.observers]
        watching = " OR ".join(f"({check})" for check in checks) or "false"
        self._context_sql = {office: context_sql(office, watching) for office in (BY_ID, BY_SLUG)}
        self._kinds = (PLACE_ORDER_KINDS,) if checks else ()  # $5 exists only when someone watches

    async def place(self, conn: asyncpg.Connection, scope: Scope, data: OrderCreate) -> asyncpg.Record:
        """Place an order; the order's row, plus ``tickets``: [{id, barcode, status, ticket_type_id}]."""
        return await self._counted(conn, BY_ID, scope.box_office_id, scope.livemode, data)

    async def place_in(
        self, conn: asyncpg.Connection, box_office_slug: str, livemode: bool, data: OrderCreate
    ) -> asyncpg.Record:
        """``place`` for a box office named by its slug (the operator's API and CLI)."""
        return await self._counted(conn, BY_SLUG, box_office_slug, livemode, data)

    async def _counted(
        self, conn: asyncpg.Connection, office: str, box_office: int | str, livemode: bool, data: OrderCreate
    ) -> asyncpg.Record:
        if self.stats is None:
            return await self._place(conn, office, box_office, livemode, data)
        try:
            row = await self._place(conn, office, box_office, livemode, data)
        except BaseException as exc:
            self.stats.outcome(outcome_of(exc))
            raise
        self.stats.outcome("placed")
        return row

    async def refund(
        self, conn: asyncpg.Connection, scope: Scope, order_id: int, amount: int | None = None
    ) -> asyncpg.Record:
        """Refund ``amount`` (minor units), or everything left when None.

        A full refund voids the order's tickets and returns their seats to stock.
        """
        async with conn.transaction():
            order = await scoped.fetch_one(conn, "orders", "*", scope, order_id, "order", lock=" FOR UPDATE")
            amount = rules.refund_amount(order, amount)
            full = amount == order["total"] - order["refund_amount"]
            if full:
                await offers.give_back(conn, order_id, self.clock.now())
                await tickets.void_order_tickets(conn, order_id)
            row = await conn.fetchrow(REFUNDED_SQL, order_id, amount, "refunded" if full else order["status"])
            await self.emit(conn, scope, "order.refunded", order_id)
        return row

    async def check_in(
        self, conn: asyncpg.Connection, scope: Scope, ticket_id: int, nonce: str
    ) -> tuple[asyncpg.Record, bool]:
        """``core.tickets.check_in`` at this checkout's time, its observers told."""
        return await tickets.check_in(conn, scope, ticket_id, nonce, self.clock, self.emit)

    async def scan(self, conn: asyncpg.Connection, scope: Scope, scan: checkins.Scan) -> checkins.Recorded:
        """``core.checkins.record`` (a quantity, a time) at this checkout's time, its observers told."""
        return await checkins.record(conn, scope, scan, self.clock, self.emit)

    async def emit(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None:
        for observer in self.observers:
            await observer(conn, scope, kind, object_id)

    async def _place(
        self, conn: asyncpg.Connection, office: str, box_office: int | str, livemode: bool, data: OrderCreate
    ) -> asyncpg.Record:
        now = self.clock.now()
        scope, event, types, watched = await self._context(conn, office, box_office, livemode, data)
        rules.check_event_open(event)
        rules.check_sale_window(event, now)
        lines = sorted(data.lines, key=lambda line: line.ticket_type_id)
        rules.check_lines(lines, types, now)
        rules.check_cap(event["cap"], event["taken"], sum(line.quantity for line in lines))  # full already
        order = rules.price(scope, event, lines, types, data, now)
        # a capped occurrence's orders take its lock in a transaction (_within_cap): never at once
        if len(lines) == 1 and not watched and not offers.wanted(data) and event["cap"] is None:
            return await self._at_once(conn, types[lines[0].ticket_type_id], order)
        return await self._in_transaction(conn, scope, event, lines, types, order, data)

    async def _at_once(self, conn: asyncpg.Connection, ticket_type: Any, order: Order) -> Any:
        quantity = order.line_quantities[0]
        if available(ticket_type) < quantity:  # already gone: refuse without writing anything
            raise rules.sold_out(ticket_type, quantity)
        return await self.batches.write(conn, ticket_type, order)

    async def _in_transaction(
        self, conn: asyncpg.Connection, scope: Scope, event: dict[str, Any], lines: list[OrderLine],
        types: dict[int, Any], order: Order, data: OrderCreate,
    ) -> Any:
        """The order, then what observers write, then the stock: three or more statements, one transaction.

        Products and codes (core.checkout.offers) are claimed before the order is written, so its
        totals include them, and written with it, so observers see them."""
        async with conn.transaction():
            applied = None
            if offers.wanted(data):
                order, applied = await offers.prepare(conn, scope, event, lines, types, data, order, order.created_at)
            row = await conn.fetchrow(ORDER_SQL, *order)
            if applied is not None:
                row = await offers.write(conn, row, applied, order.created_at)
            await self.emit(conn, scope, "order.placed", row["id"])
            # Stock last: the UPDATE locks the ticket type's row until COMMIT, and every other buyer
            # of that type queues on it, so nothing but the sold-out check may run while it is held
            # (a capped occurrence locks all its types just before, for its cap: _within_cap).
            filled = event["cap"] is not None and await _within_cap(conn, event, sum(order.line_quantities))
            left = [await _take_stock(conn, types[line.ticket_type_id], line.quantity) for line in lines]
            if filled or (not any(left) and await conn.fetchval(EVENT_SOLD_OUT_SQL, event["id"])):
                await self.emit(conn, scope, "event.sold_out", event["id"])
        return row

    async def _context(
        self, conn: asyncpg.Connection, office: str, box_office: int | str, livemode: bool, data: OrderCreate
    ) -> tuple[Scope, dict[str, Any], dict[int, asyncpg.Record], bool]:
        """The box office, the event, the order's ticket types and whether an observer watches: one query."""
        ids = [line.ticket_type_id for line in data.lines]
        rows = await conn.fetch(self._context_sql[office], box_office, livemode, data.event_id, ids, *self._kinds)
        if not rows:
            raise NotFound("box_office", f"Box office not found: {box_office}")
        first = rows[0]
        if first["_event_id"] is None:
            raise NotFound("event", "Event not found")
        event = {"id": first["_event_id"], "status": first["_event_status"], "currency": first["_event_currency"],
                 "series_id": first["_event_series"], "opens_at": first["_opens_at"],
                 "opens_message": first["_opens_message"], "closes_at": first["_closes_at"],
                 "closes_message": first["_closes_message"], "cap": first["_cap"], "taken": first["_taken"]}
        found = {row["id"]: row for row in rows if row["id"] is not None}
        missing = [FieldError(f"lines.{i}.ticket_type_id", "no such ticket type for this event")
                   for i, tid in enumerate(ids) if tid not in found]
        if missing:
            raise ValidationFailed(missing)
        return Scope(first["_box_office"], livemode), event, found, bool(first["_watched"])


def outcome_of(exc: BaseException) -> str:
    """A refused or failed checkout's outcome: the domain error's code (sold_out, not_found, ...)."""
    return exc.code if isinstance(exc, CoreError) else "error"


async def _within_cap(conn: asyncpg.Connection, event: dict[str, Any], seats: int) -> bool:
    """Lock the capped occurrence's ticket types, refuse ``seats`` more past its series' cap;
    whether they fill it (then the occurrence is sold out).

    Every order of a capped occurrence takes these locks before its stock, so they check the
    cap one after another, each on what the ones before it committed."""
    taken = sum(row["taken"] for row in await conn.fetch(CAPPED_TYPES_SQL, event["id"]))
    rules.check_cap(event["cap"], taken, seats)
    return bool(taken + seats >= event["cap"])


async def _take_stock(conn: asyncpg.Connection, ticket_type: Any, quantity: int) -> bool:
    """Take the seats or raise SoldOut; True when this visible type still has seats after it.

    A visible type with seats left means the event is not sold out, so the caller can skip
    the event-wide check while it holds the row lock.
    """
    left = await conn.fetchval(TAKE_STOCK_SQL, ticket_type["id"], quantity)
    if left is None:
        raise rules.sold_out(ticket_type, quantity)
    return bool(left)
