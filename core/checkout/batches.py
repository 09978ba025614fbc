"""Group commit: buyers of one ticket type who arrive while a statement writes that type are
written together by the next statement, each with its own order and its own answer.

They would otherwise only queue on the type's row lock, each for a commit of its own;
instead they wait in the process, and the first of them writes up to ``BATCH_MAX`` orders in
one statement and one commit, on its own connection. When a batch fails (too few seats left
for all of it, say) nothing of it is written, and its orders are written one by one, so each
buyer gets the answer it would have had alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from core.checkout.rules import sold_out
from core.checkout.sql import BATCH_ORDER_ARRAYS, BATCH_SQL, JSON_COLUMNS, Batch, Order

BATCH_MAX = 64  # orders in one statement
PER_ORDER = [name for name, _ in BATCH_ORDER_ARRAYS if name in Order._fields]  # the rest: the batch's own


@dataclass(eq=False, slots=True)
class Buyer:
    """One at-once order: it is written by its own request or by the request leading its batch."""

    order: Order
    # None once written by another request (``row`` or ``error`` is set); a list of buyers
    # when it is this request's turn to write them; cancelled when the request is gone
    wake: asyncio.Future[list[Buyer] | None]
    row: Any = None
    error: Exception | None = None

    @property
    def quantity(self) -> int:  # an at-once order has one line
        return self.order.line_quantities[0]


class GroupCommit:
    """The queues of buyers per ticket type, for one process (the gateway owns one)."""

    def __init__(self, on_batch: Callable[[int], None] | None = None) -> None:
        # ticket type id -> buyers waiting while a statement writes that type; a type is
        # present exactly while a statement writes it
        self._queued: dict[int, list[Buyer]] = {}
        self._on_batch = on_batch  # told how many orders each statement writes (metrics)

    def writing(self, type_id: int) -> bool:
        """Whether a statement is writing orders of the type right now."""
        return type_id in self._queued

    def queued(self, type_id: int) -> int:
        """How many buyers of the type wait for the next statement."""
        return len(self._queued.get(type_id, ()))

    async def write(self, conn: asyncpg.Connection, ticket_type: Any, order: Order) -> Any:
        """Write an order of one line of ``ticket_type``, alone or in a batch; its row, or raise."""
        me = Buyer(order, asyncio.get_running_loop().create_future())
        type_id = ticket_type["id"]
        if conn.is_in_transaction():  # the caller's transaction decides this order, not a batch's commit
            await write_batch(conn, ticket_type, [me])
        elif (queue := self._queued.get(type_id)) is None:  # nobody writing this type: write now, alone
            self._queued[type_id] = []
            await self._lead(conn, ticket_type, [me])
        else:
            queue.append(me)
            await self._wait_turn(conn, ticket_type, me)
        if me.error is not None:
            raise me.error
        return me.row

    async def _wait_turn(self, conn: asyncpg.Connection, ticket_type: Any, me: Buyer) -> None:
        try:
            batch = await me.wake
        except asyncio.CancelledError:
            if me.wake.done() and not me.wake.cancelled() and (turn := me.wake.result()) is not None:
                self._queued[ticket_type["id"]][:0] = turn[1:]  # cancelled as its turn came: pass it on
                self.hand_on(ticket_type["id"])
            raise
        if batch is not None:  # our turn: we write the buyers queued behind the last statement
            await self._lead(conn, ticket_type, batch)

    async def _lead(self, conn: asyncpg.Connection, ticket_type: Any, batch: list[Buyer]) -> None:
        """Write ``batch``, wake its buyers, then give the next statement to the first buyer queued."""
        if self._on_batch is not None:
            self._on_batch(len(batch))
        try:
            await write_batch(conn, ticket_type, batch)
        except BaseException:  # cancelled mid-statement: whether it committed is unknown to everyone
            for buyer in batch:
                if buyer.row is None and buyer.error is None:
                    buyer.error = RuntimeError("checkout interrupted: the order's outcome is unknown")
            raise
        finally:
            for buyer in batch[1:]:
                if not buyer.wake.done():
                    buyer.wake.set_result(None)
            self.hand_on(ticket_type["id"])

    def hand_on(self, type_id: int) -> None:
        """Give the next statement of the type to the first buyer still waiting (its batch: up to
        ``BATCH_MAX`` of them), or forget the type when nobody waits."""
        queue = [buyer for buyer in self._queued[type_id] if not buyer.wake.done()]  # without the cancelled
        if not queue:
            del self._queued[type_id]
            return
        batch, self._queued[type_id] = queue[:BATCH_MAX], queue[BATCH_MAX:]
        batch[0].wake.set_result(batch)


async def write_batch(conn: asyncpg.Connection, ticket_type: Any, batch: list[Buyer]) -> None:
    """One statement for the whole batch; when it fails, nothing of it is written and each
    order is written alone, so only the buyers it concerns get the error."""
    try:
        rows = await conn.fetch(BATCH_SQL, *batch_args(ticket_type, batch))
    except asyncpg.PostgresError as exc:
        if len(batch) > 1:
            for buyer in batch:
                await write_batch(conn, ticket_type, [buyer])
        elif isinstance(exc, asyncpg.CheckViolationError) and exc.constraint_name == "ticket_types_stock":
            batch[0].error = sold_out(ticket_type, batch[0].quantity)
        else:
            batch[0].error = exc
        return
    for buyer, row in zip(batch, rows, strict=True):
        buyer.row = row


def _column(orders: list[Order], name: str) -> list[Any]:
    values = [getattr(order, name) for order in orders]
    if name in JSON_COLUMNS:  # jsonb as text: asyncpg reads a dict in an array as a sub-array
        return [orjson.dumps(value).decode() for value in values]
    return values


def batch_args(ticket_type: Any, batch: list[Buyer]) -> Batch:
    """The event's values, the orders' as arrays, then the tickets' and the ticket type's."""
    orders = [buyer.order for buyer in batch]
    first = orders[0]
    per_order = {name: _column(orders, name) for name in PER_ORDER}
    return Batch(
        box_office_id=first.box_office_id, livemode=first.livemode, event_id=first.event_id,
        currency=first.currency, **per_order,
        quantity=[buyer.quantity for buyer in batch],
        seat_orders=[n for n, o in enumerate(orders, 1) for _ in o.barcodes],
        barcodes=[barcode for o in orders for barcode in o.barcodes],
        ticket_type_id=ticket_type["id"], ticket_type_name=ticket_type["name"],
        seats=sum(buyer.quantity for buyer in batch),
    )
