"""A page's children are read once each, through the children's index, whatever the planner's statistics.

The page and its children are one statement (core.reads); how PostgreSQL reads the children is
the plan's choice. Two plans of the same response went wrong (docs/performance.md, 2026-12-03 and
2026-12-04): on the bench's 10,000 events a sequential scan of every ticket type, and, with the
page's ids added as an array, a database seeded a moment before (no statistics yet, as
tests/ops/test_lifecycle.py's) re-running the whole page's aggregate for every row: 1 s for a page
of 100 events of 30 types. This reads that page, as TicketSmart's and Ticket Tailor's event lists
do, in a database of its own before and after ANALYZE and beside another box office's 10,000
events, and holds the plan to reading each child row once, through the index: no plan node emits
more rows in all its loops than the page has ticket types.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from core import listing, reads
from core.db import dsn_for_database, init_connection, migrate
from core.listing import EventFilters, PageQuery
from core.models import Scope
from dialects.ticketsmart.serializers import EVENT_READ as TS_EVENTS
from dialects.tickettailor.serializers import EVENT_READ as TT_EVENTS
from tests import factories

EVENTS, TYPES = 100, 30  # tests/ops/test_lifecycle.py's page


@pytest.fixture
async def fresh(database_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A migrated database of this test's own: its tables have no statistics until it asks."""
    name = f"tg_children_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(dsn_for_database(database_dsn, name))
    try:
        await migrate(conn)
        await init_connection(conn)
        yield conn
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


async def _page_statement(conn: asyncpg.Connection, shape: reads.Shape, scope: Scope) -> tuple[str, tuple[Any, ...]]:
    """The statement core.reads sends for the first page of 100 of the scope's events, and its arguments."""
    sent: list[Any] = []
    conn.add_query_logger(sent.append)
    try:
        page = await reads.page(conn, shape, listing.EVENTS, listing.event_where(scope, EventFilters()),
                                PageQuery(EVENTS), now=datetime.now(UTC), box_office=scope.box_office_id)
        await asyncio.sleep(0)  # asyncpg calls its loggers with call_soon
    finally:
        conn.remove_query_logger(sent.append)
    assert len(page.rows) == EVENTS
    (record,) = sent
    return record.query, record.args


async def _heaviest(conn: asyncpg.Connection, sql: str, args: tuple[Any, ...]) -> tuple[int, list[str]]:
    """The most rows one plan node emitted in all its loops, and how ticket_types was scanned."""
    plan = (await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args))[0]["Plan"]  # json, decoded
    nodes = list(_nodes(plan))
    scans = [n["Node Type"] for n in nodes if n.get("Relation Name") == "ticket_types"]
    return max(int(n["Actual Rows"] * n["Actual Loops"]) for n in nodes), scans


async def test_a_pages_children_are_each_read_once_through_the_index(fresh: asyncpg.Connection) -> None:
    office = await factories.box_office(fresh)
    scope = Scope(office["id"], True)
    for n in range(EVENTS):
        types = [{"name": f"Tier {t}", "price": 1000 + t, "quantity": 50} for t in range(TYPES)]
        await factories.event(fresh, scope, title=f"Show {n}", ticket_types=types)
    statements = [await _page_statement(fresh, shape, scope) for shape in (TS_EVENTS, TT_EVENTS)]
    for state in ("no statistics", "analyzed", "beside the bench's 10,000 events"):
        if state == "beside the bench's 10,000 events":
            await _other_office(fresh, 10_000)
        for sql, args in statements:
            heaviest, scans = await _heaviest(fresh, sql, args)
            assert heaviest <= EVENTS * TYPES, (state, heaviest, sql)
            assert scans and "Seq Scan" not in scans, (state, scans)
        await fresh.execute("ANALYZE")


async def _other_office(conn: asyncpg.Connection, events: int) -> None:
    """Another box office's ``events`` events of two ticket types each (tests/bench/seed.py's
    proportions), analyzed: the table the page's children are looked up in is then mostly not theirs."""
    office = (await factories.box_office(conn))["id"]
    await conn.execute(
        "WITH e AS (INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency)"
        " SELECT $1, true, 'Other ' || n, 'other-' || n, now() + interval '30 days', 'USD'"
        " FROM generate_series(1, $2) n RETURNING id)"
        " INSERT INTO ticket_types (event_id, name, price, quantity, sort_order)"
        " SELECT e.id, 'Tier ' || t, 1000, 50, t FROM e, generate_series(1, 2) t", office, events)
    await conn.execute("ANALYZE")
