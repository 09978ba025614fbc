"""Checkout under the event series' rules: its sale window and its cap per occurrence, on real
PostgreSQL, with the cap held by parallel checkouts on two ticket types of one occurrence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from core import series, waitlists
from core.checkout import Checkout
from core.checkout.sql import BATCH_SQL, CAPPED_TYPES_SQL
from core.db import create_pool
from core.errors import NotSoldOut, SaleWindowClosed, SoldOut
from core.events import ticket_types_for
from core.models import OrderCreate, Scope, parse
from core.offers import WaitlistSignupCreate
from core.series import OccurrenceCreate, SeriesCreate

FIRST = datetime(2031, 11, 4, 19, tzinfo=UTC)


async def _occurrences(conn: asyncpg.Connection, scope: Scope, count: int = 1, **rules: Any) -> list[list[int]]:
    """A published series with two default ticket types (30 seats each) and ``rules``; per
    occurrence, its event id then its two ticket type ids."""
    made = await series.create_series(conn, scope, parse(SeriesCreate, {
        "name": "Late Show", "ticket_types": [{"name": "Stalls", "price": 1500, "quantity": 30},
                                              {"name": "Circle", "price": 1000, "quantity": 30}], **rules}))
    out = []
    for week in range(count):
        event = await series.add_occurrence(conn, scope, made["id"], parse(OccurrenceCreate, {
            "starts_at": FIRST + timedelta(weeks=week)}))
        out.append([event["id"], *(t["id"] for t in await ticket_types_for(conn, [event["id"]]))])
    await series.publish_series(conn, scope, made["id"])
    return out


def _order(event_id: int, *lines: tuple[int, int]) -> OrderCreate:
    return parse(OrderCreate, {"event_id": event_id, "buyer": {"email": "b@example.com", "name": "B C"},
                               "lines": [{"ticket_type_id": t, "quantity": q} for t, q in lines]})


async def _orders(conn: asyncpg.Connection, event_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event_id)


@pytest.mark.parametrize(("message", "said"), [
    ("Doors open soon", "^Doors open soon$"),
    (None, r"^Tickets for this event go on sale at \d{4}-\d\d-\d\d \d\d:\d\d UTC$"),
])
async def test_an_order_before_the_series_sells_is_refused_until_it_does(conn, box_office, checkout, clock,
                                                                         message, said):
    scope = Scope(box_office["id"], True)
    opens = clock.now() + timedelta(days=1)
    [[event_id, stalls, _]] = await _occurrences(conn, scope, tickets_available_at=opens,
                                                 tickets_available_at_message=message)
    with pytest.raises(SaleWindowClosed, match=said) as refused:
        await checkout.place(conn, scope, _order(event_id, (stalls, 1)))
    assert refused.value.code == "sale_window_closed"
    assert await _orders(conn, event_id) == 0
    clock.advance(days=2)
    assert (await checkout.place(conn, scope, _order(event_id, (stalls, 1))))["event_id"] == event_id


@pytest.mark.parametrize(("message", "said"), [
    ("Sales have closed: see you at the door", "^Sales have closed: see you at the door$"),
    (None, "^Tickets for this event are no longer on sale$"),
])
async def test_an_order_after_the_series_stops_selling_is_refused(conn, box_office, checkout, clock, message,
                                                                  said):
    scope = Scope(box_office["id"], True)
    closes = clock.now() + timedelta(days=1)
    [[event_id, stalls, circle]] = await _occurrences(conn, scope, tickets_unavailable_at=closes,
                                                      tickets_unavailable_at_message=message)
    await checkout.place(conn, scope, _order(event_id, (stalls, 1)))  # still selling
    clock.advance(days=2)
    for lines in (((stalls, 1),), ((stalls, 1), (circle, 1))):  # at once and in a transaction alike
        with pytest.raises(SaleWindowClosed, match=said):
            await checkout.place(conn, scope, _order(event_id, *lines))
    assert await _orders(conn, event_id) == 1


async def test_the_cap_counts_every_ticket_type_of_each_occurrence_on_its_own(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    [[first, stalls, circle], [second, other_stalls, _]] = await _occurrences(
        conn, scope, 2, max_tickets_sold_per_occurrence=5)
    await checkout.place(conn, scope, _order(first, (stalls, 3)))
    with pytest.raises(SoldOut, match="^Only 2 tickets left for this event, not 3$"):
        await checkout.place(conn, scope, _order(first, (circle, 3)))
    with pytest.raises(SoldOut, match="^Only 2 tickets left for this event, not 3$"):
        await checkout.place(conn, scope, _order(first, (stalls, 1), (circle, 2)))
    await checkout.place(conn, scope, _order(first, (circle, 2)))
    with pytest.raises(SoldOut, match="^This event is sold out$"):
        await checkout.place(conn, scope, _order(first, (stalls, 1)))
    taken = await conn.fetch("SELECT sold FROM ticket_types WHERE event_id = $1 ORDER BY id", first)
    assert [t["sold"] for t in taken] == [3, 2] and await _orders(conn, first) == 2
    await checkout.place(conn, scope, _order(second, (other_stalls, 5)))  # the next date has its own five


async def test_an_occurrence_at_its_cap_takes_waitlist_signups(conn, box_office, checkout, clock):
    scope = Scope(box_office["id"], True)
    [[event_id, stalls, _]] = await _occurrences(conn, scope, max_tickets_sold_per_occurrence=4)
    signup = parse(WaitlistSignupCreate, {"event_id": event_id, "email": "w@example.com"})
    await checkout.place(conn, scope, _order(event_id, (stalls, 3)))
    with pytest.raises(NotSoldOut):  # one seat still fits under the cap (26 of the type's are left)
        await waitlists.sign_up(conn, scope, signup, clock.now())
    await checkout.place(conn, scope, _order(event_id, (stalls, 1)))
    assert (await waitlists.sign_up(conn, scope, signup, clock.now()))["event_id"] == event_id


class Told:
    """An observer of order changes that watches everything and keeps what it is told (no webhook
    rows: a webhook worker of another test would try to deliver them)."""

    watching = "cardinality({kinds}) > 0"  # every kind checkout asks about

    def __init__(self) -> None:
        self.kinds: list[str] = []

    async def __call__(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None:
        self.kinds.append(kind)


async def test_reaching_the_cap_tells_watchers_the_occurrence_sold_out(conn, box_office, clock):
    scope = Scope(box_office["id"], True)
    [[event_id, stalls, circle]] = await _occurrences(conn, scope, max_tickets_sold_per_occurrence=3)
    told = Told()
    watched = Checkout(clock, [told])
    await watched.place(conn, scope, _order(event_id, (stalls, 2)))
    await watched.place(conn, scope, _order(event_id, (circle, 1)))
    assert told.kinds == ["order.placed", "order.placed", "event.sold_out"]


@pytest.mark.parametrize("shape", ["one-type-each", "both-types"])
async def test_the_cap_holds_under_parallel_checkouts_on_two_ticket_types(database_dsn, conn, box_office, checkout,
                                                                          shape):
    scope = Scope(box_office["id"], True)
    cap = 40  # below the 60 seats of the two types together
    [[event_id, stalls, circle]] = await _occurrences(conn, scope, max_tickets_sold_per_occurrence=cap)
    if shape == "both-types":  # two seats an order, both types locked by each
        orders, seats = [_order(event_id, (stalls, 1), (circle, 1))] * 60, 2
    else:  # one seat an order, on alternate types
        orders, seats = [_order(event_id, (t, 1)) for _ in range(60) for t in (stalls, circle)], 1
    pool = await create_pool(database_dsn, min_size=16, max_size=16)

    async def buy(order: OrderCreate) -> str:
        async with pool.acquire() as c:
            try:
                await checkout.place(c, scope, order)
                return "ok"
            except SoldOut:
                return "sold_out"

    try:
        results = await asyncio.gather(*(buy(order) for order in orders))
    finally:
        await pool.close()
    assert results.count("ok") == cap // seats and results.count("sold_out") == len(orders) - cap // seats
    sold = await conn.fetchval("SELECT sum(sold) FROM ticket_types WHERE event_id = $1", event_id)
    tickets = await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE event_id = $1", event_id)
    assert sold == tickets == cap


async def _statements(conn: asyncpg.Connection, place: Any) -> list[str]:
    log: list[str] = []

    def logged(record: asyncpg.connection.LoggedQuery) -> None:
        log.append(record.query)

    conn.add_query_logger(logged)
    try:
        await place()
        await asyncio.sleep(0.05)  # asyncpg calls its loggers soon after a statement, not at once
    finally:
        conn.remove_query_logger(logged)
    return log


async def test_only_a_capped_occurrence_leaves_the_one_statement_checkout(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    [[free, free_stalls, _]] = await _occurrences(conn, scope)
    [[capped, capped_stalls, _]] = await _occurrences(conn, scope, max_tickets_sold_per_occurrence=10)
    for event_id, type_id in ((free, free_stalls), (capped, capped_stalls)):  # statements prepared, types known
        await checkout.place(conn, scope, _order(event_id, (type_id, 1)))
    uncapped = await _statements(conn, lambda: checkout.place(conn, scope, _order(free, (free_stalls, 1))))
    assert len(uncapped) == 2 and uncapped[1] == BATCH_SQL  # the context, then the order: as before
    capped_ = await _statements(conn, lambda: checkout.place(conn, scope, _order(capped, (capped_stalls, 1))))
    assert CAPPED_TYPES_SQL in capped_ and BATCH_SQL not in capped_
