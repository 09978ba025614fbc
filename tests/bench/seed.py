"""The benchmark's data: one read-only box office with a million issued tickets, seeded set-based.

The read box office (``bench``) holds events, ticket types, orders, line items and issued
tickets, generated with ``generate_series`` in a handful of statements; the indexes of the
two big tables are dropped for the load and rebuilt from their own definitions after it
(several times faster than maintaining them row by row). A ``bench_seed`` row records a
finished seed with its sizes, so a re-run on the same database skips straight to the
benchmark. Write scenarios use a second box office (``bench-writes``) that is rebuilt on
every run, so the read data never changes between runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg

from core import keys
from core.db import create_database, dsn_for_database, init_connection, migrate
from dialects import registry

READ_SLUG = "bench"
WRITE_SLUG = "bench-writes"
SEED_VERSION = 1
REBUILT_TABLES = ("orders", "order_line_items", "issued_tickets")


@dataclass(frozen=True)
class Sizes:
    events: int = 10_000
    orders: int = 200_000
    tickets_per_order: int = 5  # 1,000,000 issued tickets at the default sizes

    @property
    def tickets(self) -> int:
        return self.orders * self.tickets_per_order


FULL = Sizes()
TINY = Sizes(events=30, orders=300, tickets_per_order=5)


async def ensure_database(server_dsn: str, name: str, sizes: Sizes, log=print) -> str:
    """The DSN of a database holding a complete seed of ``sizes``; creates it when needed."""
    dsn = dsn_for_database(server_dsn, name)
    if await _complete(dsn, sizes):
        log(f"seed: reusing {name} (complete seed found)")
        return dsn
    await create_database(server_dsn, name)
    started = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        await _seed(conn, sizes)
    finally:
        await conn.close()
    log(f"seed: {name} seeded in {time.monotonic() - started:.1f}s "
        f"({sizes.events} events, {sizes.orders} orders, {sizes.tickets} tickets)")
    return dsn


async def _complete(dsn: str, sizes: Sizes) -> bool:
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        row = await conn.fetchrow(
            "SELECT * FROM bench_seed WHERE version = $1 AND events = $2 AND orders = $3 AND tickets = $4",
            SEED_VERSION, sizes.events, sizes.orders, sizes.tickets,
        )
        return row is not None
    except asyncpg.PostgresError:
        return False
    finally:
        await conn.close()


async def _seed(conn: asyncpg.Connection, s: Sizes) -> None:
    await conn.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'")
    office = await conn.fetchval(
        "INSERT INTO box_offices (slug, name, plan, api_terms_accepted, payments_connected)"
        " VALUES ($1, 'Bench Box Office', 'pro', true, true) RETURNING id", READ_SLUG,
    )
    indexes = await _drop_indexes(conn)
    await conn.execute(_EVENTS, office, s.events)
    await conn.execute(_TICKET_TYPES)
    await conn.execute(_ORDERS, office, s.orders, s.events, s.tickets_per_order)
    await conn.execute(_LINE_ITEMS, s.tickets_per_order)
    await conn.execute(_TICKETS, office, s.tickets, s.tickets_per_order)
    await conn.execute(_SOLD)
    for ddl in indexes:
        await conn.execute(ddl)
    for table in ("events", "ticket_types", "orders", "order_line_items", "issued_tickets"):
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                           f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
    await conn.execute("VACUUM (ANALYZE)")
    await conn.execute(
        "CREATE TABLE bench_seed (version int, events int, orders int, tickets int, seeded_at timestamptz);"
        f"INSERT INTO bench_seed VALUES ({SEED_VERSION}, {s.events}, {s.orders}, {s.tickets}, now())"
    )


async def _drop_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the secondary indexes of the big tables; return their DDL to rebuild them."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        list(REBUILT_TABLES),
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


# Events one minute apart (distinct created_at), all published, starting in the future.
_EVENTS = """
INSERT INTO events (id, box_office_id, livemode, title, slug, description, starts_at, ends_at, timezone,
                    venue_name, city, country, currency, visibility, category, status, created_at, updated_at)
SELECT n, $1, true, 'Bench event ' || n, 'bench-event-' || n, 'A seeded event for the benchmark',
       timestamptz '2030-01-01 19:00Z' + n * interval '1 hour',
       timestamptz '2030-01-01 22:00Z' + n * interval '1 hour', 'Europe/London',
       'Hall ' || (n % 50), 'London', 'GB', 'USD', 'public',
       (ARRAY['comedy','music','conference','workshop','theater','sports','other'])[1 + n % 7],
       'published', timestamptz '2025-01-01Z' + n * interval '1 minute',
       timestamptz '2025-01-01Z' + n * interval '1 minute'
FROM generate_series(1, $2::int) AS n
"""

# Two types per event: general admission (which every seeded order buys) and VIP.
_TICKET_TYPES = """
INSERT INTO ticket_types (event_id, name, price, booking_fee, quantity, sort_order, created_at, updated_at)
SELECT e.id, t.name, t.price, t.fee, t.quantity, t.sort_order, e.created_at, e.created_at
FROM events e CROSS JOIN (VALUES ('General admission', 2500, 150, 100000, 0),
                                 ('VIP', 9000, 300, 100, 1)) AS t(name, price, fee, quantity, sort_order)
ORDER BY e.id, t.sort_order
"""

# Orders ten seconds apart, round-robin over events; each buys tickets_per_order GA tickets.
_ORDERS = """
INSERT INTO orders (id, box_office_id, livemode, event_id, status, buyer_name, buyer_email, currency,
                    subtotal, booking_fee, total, payment_method, txn_id, created_at, updated_at)
SELECT n, $1, true, 1 + (n - 1) % $3::int, 'completed', 'Buyer ' || n, 'buyer' || n || '@example.com',
       'USD', 2500 * $4::int, 150 * $4::int, 2650 * $4::int, 'operator', 'txn_bench_' || n,
       timestamptz '2025-06-01Z' + n * interval '10 seconds',
       timestamptz '2025-06-01Z' + n * interval '10 seconds'
FROM generate_series(1, $2::int) AS n
"""

_LINE_ITEMS = """
INSERT INTO order_line_items (id, order_id, ticket_type_id, type, description, quantity, value, booking_fee, total)
SELECT o.id, o.id, tt.id, 'ticket', 'General admission', $1::int, 2500 * $1::int, 150 * $1::int, 2650 * $1::int
FROM orders o JOIN ticket_types tt ON tt.event_id = o.event_id AND tt.sort_order = 0
"""

# Tickets share their order's created_at, so the keyset's id tie-break is exercised.
_TICKETS = """
INSERT INTO issued_tickets (id, box_office_id, livemode, order_id, event_id, ticket_type_id, barcode,
                            reference, description, first_name, last_name, email, created_at, updated_at)
SELECT n, $1, true, o.id, o.event_id, tt.id, 'BB' || lpad(n::text, 8, '0'), 'BB' || lpad(n::text, 8, '0'),
       'General admission', 'Buyer', o.id::text, o.buyer_email, o.created_at, o.created_at
FROM generate_series(1, $2::int) AS n
JOIN orders o ON o.id = 1 + (n - 1) / $3::int
JOIN ticket_types tt ON tt.event_id = o.event_id AND tt.sort_order = 0
"""

_SOLD = """
UPDATE ticket_types tt SET sold = s.sold
FROM (SELECT ticket_type_id, count(*) AS sold FROM issued_tickets GROUP BY ticket_type_id) s
WHERE tt.id = s.ticket_type_id
"""


@dataclass(frozen=True)
class Fixture:
    """What the scenarios need to know about the seeded data for one run."""

    read_office: int
    write_office: int
    keys: dict[str, str]  # "<dialect>" -> read key, "<dialect>:writes" -> write box office key
    event_id: int  # a read event in the middle of the list
    checkout_event: int
    checkout_type: int
    floor_type: int  # the floor's own hot row: its UPDATEs must not blur the gateway's sold count
    contention_type: int  # a small-stock type for the oversell check
    contention_stock: int
    order_deep_id: int  # the order 1 page short of the end of the orders list
    ticket_deep_id: int  # the ticket 1 page short of the end of the issued tickets list
    ticket_deep_created: str  # its created_at (ISO) for the Equaticket cursor
    patch_event: int = 0  # a write box office event that TicketSmart's PATCH scenario changes


async def prepare_run(dsn: str, sizes: Sizes, contention_stock: int = 300) -> Fixture:
    """Fresh keys and a rebuilt write box office; the read data is untouched."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    try:
        read = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", READ_SLUG)
        await _drop_write_office(conn)
        await conn.execute("DELETE FROM api_keys WHERE box_office_id = $1", read)
        write = await conn.fetchval(
            "INSERT INTO box_offices (slug, name, plan, api_terms_accepted, payments_connected)"
            " VALUES ($1, 'Bench writes', 'pro', true, true) RETURNING id", WRITE_SLUG,
        )
        secrets = {}
        for dialect in registry.NAMES:
            rules = registry.key_rules(dialect)
            secrets[dialect] = (await keys.create_key(conn, read, rules))[1]
            secrets[f"{dialect}:writes"] = (await keys.create_key(conn, write, rules))[1]
        checkout = await _checkout_event(conn, write, contention_stock)
        patch = await conn.fetchval(
            "INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency, status)"
            " VALUES ($1, true, 'Patch bench', 'patch-bench', now() + interval '30 days', 'USD', 'published')"
            " RETURNING id", write,
        )
        deep = await _deep_rows(conn, read, sizes)
        await _kept_keys(conn, read, max(10, sizes.orders // 20))
        await _restore(conn)
    finally:
        await conn.close()
    return Fixture(read, write, secrets, 1 + sizes.events // 2, *checkout, contention_stock, *deep, patch_event=patch)


CHURNED = ("events", "event_series", "ticket_types", "ticket_groups", "orders", "order_line_items",
           "issued_tickets", "idempotency_keys", "webhook_events", "webhook_deliveries", "check_ins")


async def _restore(conn: asyncpg.Connection) -> None:
    """The tables the write scenarios churn, back to the state of a freshly loaded database.

    Every run deletes the last run's writes, with autovacuum off (as on the machine measured):
    without a vacuum the read scenarios would scan the dead rows of all earlier runs, and without
    fresh statistics the planner would plan by the rows of the writes. The indexes are rebuilt
    too: a vacuum frees the writes' index pages but keeps them, and each run's creates (up to
    150,000 events) left ``events_page`` at 4,832 pages for 10,000 rows, which the planner costs
    as an index too big to walk: a TicketSmart page 100 was sorted from a sequential scan
    instead (``ts_events_p100`` 2.8 times slower than page 1, against 1.6 the run before).
    """
    await conn.execute(f"VACUUM (ANALYZE) {', '.join(CHURNED)}")
    for table in CHURNED:
        await conn.execute(f"REINDEX TABLE {table}")


# Children first, each by an indexed column. A plain cascading DELETE of the box office takes
# minutes here: deleting a ticket type sets order_line_items.ticket_type_id and
# issued_tickets.ticket_type_id to NULL, and neither column is indexed, so every deleted type
# scans the million-row tables. With foreign-key triggers off for this session, nothing scans.
_WRITE_OFFICE_CLEANUP = (
    "DELETE FROM webhook_deliveries d USING webhook_subscriptions s WHERE d.subscription_id = s.id"
    " AND s.box_office_id = $1",
    "DELETE FROM webhook_events WHERE box_office_id = $1",
    "DELETE FROM webhook_subscriptions WHERE box_office_id = $1",
    "DELETE FROM idempotency_keys WHERE box_office_id = $1",
    "DELETE FROM check_ins c USING issued_tickets t WHERE c.ticket_id = t.id AND t.box_office_id = $1",
    "DELETE FROM issued_tickets WHERE box_office_id = $1",
    "DELETE FROM order_line_items i USING orders o WHERE i.order_id = o.id AND o.box_office_id = $1",
    "DELETE FROM orders WHERE box_office_id = $1",
    "DELETE FROM ticket_types t USING events e WHERE t.event_id = e.id AND e.box_office_id = $1",
    "DELETE FROM ticket_groups g USING events e WHERE g.event_id = e.id AND e.box_office_id = $1",
    "DELETE FROM events WHERE box_office_id = $1",
    "DELETE FROM waitlist_signups WHERE box_office_id = $1",
    "DELETE FROM series_ticket_types st USING event_series s WHERE st.series_id = s.id AND s.box_office_id = $1",
    "DELETE FROM event_series WHERE box_office_id = $1",  # each created event had a series of its own
    "DELETE FROM api_keys WHERE box_office_id = $1",
    "DELETE FROM box_offices WHERE id = $1",
)


async def undo_writes(dsn: str) -> None:
    """Drop the write box office and restore the tables its scenarios churned (``_restore``), so that
    the phases after the writes read the data the first read.

    With autovacuum off (as on the machine measured) nothing else would update the statistics: after
    the creates, ``events`` holds 15 times the rows its statistics say, and the planner, told that
    every row is the read box office's, counts a TicketSmart list by a sequential scan of them all
    (measured: 16 ms a count instead of 2.5 ms, ``ts_events`` a tenth of its rate on both sides).
    """
    conn = await asyncpg.connect(dsn)
    try:
        await _drop_write_office(conn)
        await _restore(conn)
    finally:
        await conn.close()


async def _kept_keys(conn: asyncpg.Connection, office: int, count: int) -> None:
    """The idempotency records a busy box office keeps (a day's, done), renewed every run.

    An empty ``idempotency_keys`` is vacuumed down to no pages, and a pool connection's generic plan
    for the keyed create then looks keys up by a sequential scan, which it keeps (autovacuum off: no
    ANALYZE replans it) while the run writes thousands of keys: the cost of a create grew with every
    one. Kept records make the primary key the plan from the start, as on a server in service.
    """
    await conn.execute("DELETE FROM idempotency_keys WHERE box_office_id = $1", office)
    await conn.execute(
        "INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, state, response_status,"
        " response_headers, response_json, created_at, expires_at)"
        " SELECT $1, true, 'kept-' || n, sha256(n::text::bytea), 'done', 201,"
        " '{\"content-type\": \"application/json\"}', '{}', now() - n * interval '1 second',"
        " now() + interval '1 day' - n * interval '1 second'"
        " FROM generate_series(1, $2::int) AS n", office, count,
    )


async def _drop_write_office(conn: asyncpg.Connection) -> None:
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", WRITE_SLUG)
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        if office is not None:
            for sql in _WRITE_OFFICE_CLEANUP:
                await conn.execute(sql, office)
        # the series of write box offices dropped before the cleanup named event_series (the cascade
        # is off in this session): 570,000 of them after a few runs
        await conn.execute("DELETE FROM event_series s WHERE NOT EXISTS"
                           " (SELECT 1 FROM box_offices b WHERE b.id = s.box_office_id)")


async def _checkout_event(conn: asyncpg.Connection, office: int, stock: int) -> tuple[int, int, int, int]:
    event = await conn.fetchval(
        "INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency, status)"
        " VALUES ($1, true, 'Checkout bench', 'checkout-bench', now() + interval '30 days', 'USD',"
        " 'published') RETURNING id", office,
    )
    types = []
    for name, quantity, order in (("Contended", 10_000_000, 0), ("Floor", 10_000_000, 2), ("Small stock", stock, 1)):
        types.append(await conn.fetchval(
            "INSERT INTO ticket_types (event_id, name, price, quantity, max_per_order, sort_order)"
            " VALUES ($1, $2, 1000, $3, 10, $4) RETURNING id", event, name, quantity, order,
        ))
    return event, types[0], types[1], types[2]


async def _deep_rows(conn: asyncpg.Connection, office: int, sizes: Sizes) -> tuple[int, int, str]:
    """Cursor anchors one page (100 rows) short of the end: the deepest full page of each list."""
    order_id = await conn.fetchval(
        "SELECT id FROM orders WHERE box_office_id = $1 AND livemode ORDER BY created_at DESC, id DESC"
        " OFFSET $2 LIMIT 1", office, max(0, sizes.orders - 101),
    )
    ticket = await conn.fetchrow(
        "SELECT id, created_at FROM issued_tickets WHERE box_office_id = $1 AND livemode"
        " ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1", office, max(0, sizes.tickets - 101),
    )
    return order_id, ticket["id"], ticket["created_at"].isoformat()
