"""Group commit: buyers of one ticket type who queue behind a checkout statement are written
together by the next one, each with its own order and its own answer.

A connection holding the ticket type's row lock stands in for a slow statement: the first
buyer's statement waits on it, and the buyers who arrive meanwhile queue in the process. The
tests watch the queue through the group commit's public ``writing`` / ``queued``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from core.checkout import Checkout, GroupCommit
from core.clock import SystemClock
from core.db import create_pool
from core.errors import SoldOut
from core.models import OrderCreate, Scope, parse
from tests.factories import event_with_type


@pytest.fixture
async def pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_dsn, min_size=6, max_size=6)
    yield pool
    await pool.close()


async def _until(ready: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not ready():
            await asyncio.sleep(0.005)


class Sale:
    """One ticket type, its row locked by another connection until ``release``."""

    def __init__(self, pool: asyncpg.Pool, scope: Scope, event_id: int, type_id: int) -> None:
        self.pool, self.scope, self.event_id, self.type_id = pool, scope, event_id, type_id
        self.locker: Any = None
        self.checkout = Checkout(SystemClock())  # nobody watching: every order is written at once

    @property
    def batches(self) -> GroupCommit:
        return self.checkout.batches

    async def lock(self) -> None:
        self.locker = await self.pool.acquire()
        await self.locker.execute("BEGIN")
        await self.locker.execute("SELECT 1 FROM ticket_types WHERE id = $1 FOR UPDATE", self.type_id)

    async def release(self) -> None:
        await self.locker.execute("ROLLBACK")
        await self.pool.release(self.locker)
        self.locker = None

    def queued(self) -> int:
        return self.batches.queued(self.type_id)

    async def buy(self, email: str, quantity: int = 1) -> Any:
        data = parse(OrderCreate, {"event_id": self.event_id, "buyer": {"email": email, "name": f"Ann {email[0]}"},
                                   "lines": [{"ticket_type_id": self.type_id, "quantity": quantity}]})
        async with asyncio.timeout(10), self.pool.acquire() as c:  # a lost turn fails, never hangs
            return await self.checkout.place(c, self.scope, data)

    async def start(self, email: str, quantity: int = 1) -> asyncio.Task[Any]:
        """A buyer whose request is in flight: the first writes (and waits on the lock), the rest queue."""
        writing = self.batches.writing(self.type_id)
        queued = self.queued()
        task = asyncio.create_task(self.buy(email, quantity))
        await _until(lambda: self.queued() == queued + 1 if writing else self.batches.writing(self.type_id))
        return task


@pytest.fixture
async def sale(conn: asyncpg.Connection, box_office: Any, pool: asyncpg.Pool) -> AsyncIterator[Sale]:
    scope = Scope(box_office["id"], True)
    sale = Sale(pool, scope, *await event_with_type(conn, scope, booking_fee=50, quantity=5, max_per_order=10))
    await sale.lock()
    try:
        yield sale
    finally:
        if sale.locker is not None:  # a test that failed before releasing it
            await sale.release()
    assert not sale.batches.writing(sale.type_id)  # nothing left behind in the process


async def _written(conn: asyncpg.Connection, type_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT o.id, o.buyer_email, o.total, o.xmin::text AS xid, li.quantity,"
        " (SELECT array_agg(t.id) FROM issued_tickets t WHERE t.order_id = o.id) AS ticket_ids,"
        " (SELECT array_agg(concat_ws(' ', t.first_name, t.last_name, t.email) ORDER BY t.id) FROM issued_tickets t"
        "  WHERE t.order_id = o.id) AS holders"
        " FROM orders o JOIN order_line_items li ON li.order_id = o.id"
        " WHERE li.ticket_type_id = $1 ORDER BY o.id", type_id)


async def test_buyers_queued_behind_a_statement_are_written_by_the_next_one(conn, sale):
    first = await sale.start("a@example.com")
    queued = [await sale.start(email, quantity)
              for email, quantity in (("b@example.com", 2), ("c@example.com", 1), ("d@example.com", 1))]
    await sale.release()
    placed = [await first, *await asyncio.gather(*queued)]

    assert [order["buyer_email"] for order in placed] == ["a@example.com", "b@example.com", "c@example.com",
                                                          "d@example.com"]
    assert [len(order["tickets"]) for order in placed] == [1, 2, 1, 1]
    assert [order["total"] for order in placed] == [1050, 2100, 1050, 1050]
    rows = await _written(conn, sale.type_id)
    assert [(r["id"], r["buyer_email"], r["quantity"]) for r in rows] == [
        (o["id"], o["buyer_email"], len(o["tickets"])) for o in placed]
    assert [r["holders"] for r in rows] == [
        ["Ann a a@example.com"], ["Ann b b@example.com"] * 2, ["Ann c c@example.com"], ["Ann d d@example.com"]]
    assert [sorted(r["ticket_ids"]) for r in rows] == [[t["id"] for t in o["tickets"]] for o in placed]
    # two statements, two commits: the first buyer's, then the three queued behind it at once
    assert len({r["xid"] for r in rows}) == 2 and len({r["xid"] for r in rows[1:]}) == 1
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", sale.type_id) == 5


async def test_a_batch_the_stock_cannot_cover_is_written_order_by_order(conn, sale):
    first = await sale.start("a@example.com")  # 1 of 5: 4 left for the batch of 3 + 2 + 1
    queued = [await sale.start(email, quantity)
              for email, quantity in (("b@example.com", 3), ("c@example.com", 2), ("d@example.com", 1))]
    await sale.release()
    await first
    results = await asyncio.gather(*queued, return_exceptions=True)

    assert results[0]["buyer_email"] == "b@example.com" and results[2]["buyer_email"] == "d@example.com"
    assert isinstance(results[1], SoldOut) and "Not enough GA tickets left for 2" in str(results[1])
    rows = await _written(conn, sale.type_id)
    assert [(r["buyer_email"], r["quantity"]) for r in rows] == [
        ("a@example.com", 1), ("b@example.com", 3), ("d@example.com", 1)]
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", sale.type_id) == 5
    assert await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE ticket_type_id = $1", sale.type_id) == 5


async def test_a_buyer_who_leaves_the_queue_is_not_written(conn, sale):
    first = await sale.start("a@example.com")
    b, c, d = [await sale.start(email) for email in ("b@example.com", "c@example.com", "d@example.com")]
    c.cancel()
    await sale.release()
    await first
    assert [o["buyer_email"] for o in await asyncio.gather(b, d)] == ["b@example.com", "d@example.com"]
    with pytest.raises(asyncio.CancelledError):
        await c
    assert [r["buyer_email"] for r in await _written(conn, sale.type_id)] == [
        "a@example.com", "b@example.com", "d@example.com"]
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", sale.type_id) == 3


class CancelTheNextWriter(GroupCommit):
    """Cancels ``victim`` as the turn is handed on the first time: its turn has come (its future
    is set), but its request is gone before it runs."""

    victim: asyncio.Task[Any] | None = None

    def hand_on(self, type_id: int) -> None:
        super().hand_on(type_id)
        if self.victim is not None:
            victim, self.victim = self.victim, None
            victim.cancel()


async def test_a_buyer_cancelled_as_its_turn_comes_hands_the_turn_on(conn, sale):
    batches = CancelTheNextWriter()
    sale.checkout = Checkout(SystemClock(), batches=batches)
    first = await sale.start("a@example.com")
    b, c = [await sale.start(email) for email in ("b@example.com", "c@example.com")]
    batches.victim = b
    await sale.release()
    await first
    assert (await c)["buyer_email"] == "c@example.com"
    with pytest.raises(asyncio.CancelledError):
        await b
    assert [r["buyer_email"] for r in await _written(conn, sale.type_id)] == ["a@example.com", "c@example.com"]


async def test_an_order_in_the_callers_transaction_is_never_batched(conn, sale):
    first = await sale.start("a@example.com")
    queued = await sale.start("b@example.com")
    data = parse(OrderCreate, {"event_id": sale.event_id, "buyer": {"email": "t@example.com"},
                               "lines": [{"ticket_type_id": sale.type_id, "quantity": 1}]})
    async with sale.pool.acquire() as own:
        transaction = own.transaction()
        await transaction.start()
        inside = asyncio.create_task(sale.checkout.place(own, sale.scope, data))
        await asyncio.sleep(0.05)
        assert sale.queued() == 1  # not queued: it waits on the row lock in its own statement
        await sale.release()
        assert (await inside)["buyer_email"] == "t@example.com"
        await transaction.rollback()  # the caller's rollback takes its order, and only its order
    await asyncio.gather(first, queued)
    assert [r["buyer_email"] for r in await _written(conn, sale.type_id)] == ["a@example.com", "b@example.com"]
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", sale.type_id) == 2
