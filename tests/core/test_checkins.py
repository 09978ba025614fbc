"""core.checkins: quantities, check-outs and times, and what the ticket shows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.checkins import Scan
from core.db import create_pool
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import Scope
from core.tickets import void_ticket
from tests import factories

DOORS = datetime(2031, 9, 1, 18, 30, tzinfo=UTC)


async def _ticket(conn, checkout, box_office) -> tuple[Scope, int]:
    scope = Scope(box_office["id"], True)
    event_id, type_id = await factories.event_with_type(conn, scope)
    order = await checkout.place(conn, scope, factories.order_input(event_id, type_id))
    return scope, await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1", order["id"])


async def test_check_in_and_out_follow_the_running_total(conn, checkout, box_office):
    scope, ticket = await _ticket(conn, checkout, box_office)
    done = await checkout.scan(conn, scope, Scan(ticket, "a", 2, DOORS))
    assert done.new and done.check_in["quantity"] == 2 and done.check_in["check_in_at"] == DOORS
    assert (done.check_in["box_office_id"], done.check_in["livemode"]) == (box_office["id"], True)
    assert done.ticket["checked_in_at"] == DOORS
    out = await checkout.scan(conn, scope, Scan(ticket, "b", -1))
    assert out.ticket["checked_in_at"] == DOORS  # one of the two is still in
    gone = await checkout.scan(conn, scope, Scan(ticket, "c", -1))
    assert gone.ticket["checked_in_at"] is None
    with pytest.raises(ValidationFailed):
        await checkout.scan(conn, scope, Scan(ticket, "d", -1))
    assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE ticket_id = $1", ticket) == 3


async def test_a_repeated_nonce_is_one_check_in(conn, checkout, box_office):
    scope, ticket = await _ticket(conn, checkout, box_office)
    assert (await checkout.scan(conn, scope, Scan(ticket, "same"))).new
    again = await checkout.scan(conn, scope, Scan(ticket, "same"))
    assert not again.new and again.check_in is None
    assert await conn.fetchval("SELECT sum(quantity) FROM check_ins WHERE ticket_id = $1", ticket) == 1


@pytest.mark.parametrize("quantity", [0, 101, -101])
async def test_a_quantity_out_of_range_writes_nothing(conn, checkout, box_office, quantity):
    scope, ticket = await _ticket(conn, checkout, box_office)
    with pytest.raises(ValidationFailed):
        await checkout.scan(conn, scope, Scan(ticket, "x", quantity))
    assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE ticket_id = $1", ticket) == 0


async def test_void_and_foreign_tickets_are_refused(conn, checkout, box_office, make_box_office):
    scope, ticket = await _ticket(conn, checkout, box_office)
    with pytest.raises(NotFound):
        await checkout.scan(conn, Scope((await make_box_office())["id"], True), Scan(ticket, "x"))
    await void_ticket(conn, scope, ticket)
    with pytest.raises(Conflict):
        await checkout.scan(conn, scope, Scan(ticket, "y"))


async def test_concurrent_check_outs_never_go_below_zero(conn, checkout, box_office, database_dsn):
    scope, ticket = await _ticket(conn, checkout, box_office)
    await checkout.scan(conn, scope, Scan(ticket, "in", 3))
    pool = await create_pool(database_dsn, min_size=8, max_size=8)

    async def out(n: int) -> str:
        async with pool.acquire() as c:
            try:
                await checkout.scan(c, scope, Scan(ticket, f"out-{n}", -1))
                return "out"
            except ValidationFailed:
                return "refused"

    try:
        results = await asyncio.gather(*(out(n) for n in range(8)))
    finally:
        await pool.close()
    assert results.count("out") == 3 and results.count("refused") == 5
    assert await conn.fetchval("SELECT sum(quantity) FROM check_ins WHERE ticket_id = $1", ticket) == 0
    assert await conn.fetchval("SELECT checked_in_at FROM issued_tickets WHERE id = $1", ticket) is None
