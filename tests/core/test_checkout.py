"""Checkout on real PostgreSQL: rules, stock, and no oversell under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core import events
from core.checkout import BARCODE_ALPHABET, BARCODE_LENGTH, new_barcode
from core.db import create_pool
from core.errors import SlugTaken, SoldOut, TicketTypeHasSales, Unprocessable, ValidationFailed
from core.models import EventCreate, OrderCreate, Scope, TicketTypeCreate, parse
from core.tickets import void_ticket
from tests.factories import event_with_type

LATER = datetime(2030, 5, 1, 18, tzinfo=UTC)


def _order(event_id: int, type_id: int, qty: int = 1, **line: object) -> OrderCreate:
    return parse(OrderCreate, {"event_id": event_id, "buyer": {"email": "b@example.com", "name": "B C"},
                               "lines": [{"ticket_type_id": type_id, "quantity": qty, **line}]})


async def test_order_issues_one_ticket_per_seat_with_unique_barcodes(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, _order(event_id, type_id, 3))
    tickets = await conn.fetch("SELECT id, barcode, status, ticket_type_id, first_name, last_name FROM issued_tickets"
                               " WHERE order_id = $1 ORDER BY id", order["id"])
    assert order["tickets"] == [{k: t[k] for k in ("id", "barcode", "status", "ticket_type_id")} for t in tickets]
    assert order["total"] == 3000 and order["subtotal"] == 3000
    assert len({t["barcode"] for t in tickets}) == 3
    assert tickets[0]["first_name"] == "B" and tickets[0]["last_name"] == "C"
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", type_id) == 3


@pytest.mark.parametrize(("rule", "line", "message"), [
    ({"min_per_order": 2}, {"quantity": 1}, "at least 2"),
    ({"max_per_order": 2}, {"quantity": 3}, "at most 2"),
    ({"access_code": "SECRET"}, {"access_code": "WRONG"}, "access code"),
    ({"hidden": True}, {}, "hidden"),
    ({"sale_starts_at": LATER}, {}, "not on sale"),
    ({"sale_ends_at": datetime(2001, 1, 1, tzinfo=UTC)}, {}, "not on sale"),
    ({"status": "off_sale"}, {}, "not on sale"),
])
async def test_checkout_rules(conn, box_office, rule, line, message, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope, **rule)
    quantity = line.pop("quantity", 1)
    with pytest.raises(Unprocessable, match=message):
        await checkout.place(conn, scope, _order(event_id, type_id, quantity, **line))
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event_id) == 0


async def test_access_code_unlocks_hidden_type(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope, hidden=True, access_code="VIP")
    order = await checkout.place(conn, scope, _order(event_id, type_id, access_code="VIP"))
    assert order["status"] == "completed"


async def test_other_box_office_cannot_order(conn, box_office, make_box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    other = await make_box_office()
    with pytest.raises(Exception, match="Event not found"):
        await checkout.place(conn, Scope(other["id"], True), _order(event_id, type_id))
    with pytest.raises(Exception, match="Event not found"):  # test mode is another copy
        await checkout.place(conn, Scope(box_office["id"], False), _order(event_id, type_id))


async def test_sold_out_is_clear_and_writes_nothing(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope, quantity=2)
    await checkout.place(conn, scope, _order(event_id, type_id, 2))
    with pytest.raises(SoldOut, match="sold out"):
        await checkout.place(conn, scope, _order(event_id, type_id, 1))
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event_id) == 1


@pytest.mark.parametrize("watched", [False, True], ids=["at-once", "in-a-transaction"])
async def test_no_oversell_under_200_concurrent_checkouts(database_dsn, conn, box_office, watched, checkout):
    # nobody watching: each checkout is one statement; a webhook subscription: the transactional
    # shape that writes the outbox and detects the sold-out event before COMMIT
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope, quantity=50)
    if watched:  # (its deliveries are removed below: no test's delivery engine may try them)
        await conn.execute(
            "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, secret)"
            " VALUES ($1, true, 'https://hooks.invalid/x', '{order.placed,event.sold_out}', 'whsec_dGVzdA==')",
            box_office["id"])
    # 32 connections: two xdist workers may run both variants at once within max_connections (100)
    pool = await create_pool(database_dsn, min_size=32, max_size=32)

    async def buy() -> str:
        async with pool.acquire() as c:
            try:
                await checkout.place(c, scope, _order(event_id, type_id))
                return "ok"
            except SoldOut:
                return "sold_out"

    try:
        results = await asyncio.gather(*(buy() for _ in range(200)))
    finally:
        await pool.close()
        await conn.execute("DELETE FROM webhook_deliveries WHERE subscription_id IN"
                           " (SELECT id FROM webhook_subscriptions WHERE box_office_id = $1)", box_office["id"])
    assert results.count("ok") == 50
    assert results.count("sold_out") == 150
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", type_id) == 50
    assert await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE ticket_type_id = $1", type_id) == 50
    assert await conn.fetchval("SELECT count(DISTINCT barcode) FROM issued_tickets WHERE event_id = $1",
                               event_id) == 50
    kinds = await conn.fetch("SELECT type, count(*) AS n FROM webhook_events WHERE box_office_id = $1"
                             " GROUP BY type ORDER BY type", box_office["id"])
    assert [(k["type"], k["n"]) for k in kinds] == ([("event.sold_out", 1), ("order.placed", 50)] if watched else [])


async def test_an_order_of_several_types_takes_all_or_nothing(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event = await events.create_event(conn, scope, parse(EventCreate, {
        "title": "Two rooms", "starts_at": LATER,
        "ticket_types": [{"name": "Hall", "price": 1000, "quantity": 5},
                         {"name": "Loft", "price": 500, "quantity": 1}]}))
    hall, loft = (t["id"] for t in await events.ticket_types_for(conn, [event["id"]]))

    def order(hall_seats: int, loft_seats: int) -> OrderCreate:
        return parse(OrderCreate, {"event_id": event["id"], "buyer": {"email": "b@example.com"}, "lines": [
            {"ticket_type_id": loft, "quantity": loft_seats}, {"ticket_type_id": hall, "quantity": hall_seats}]})

    placed = await checkout.place(conn, scope, order(2, 1))
    assert (placed["subtotal"], placed["total"]) == (2500, 2500)
    assert sorted(t["ticket_type_id"] for t in placed["tickets"]) == [hall, hall, loft]
    items = await conn.fetch("SELECT ticket_type_id, quantity, total FROM order_line_items WHERE order_id = $1"
                             " ORDER BY ticket_type_id", placed["id"])
    assert [tuple(i) for i in items] == [(hall, 2, 2000), (loft, 1, 500)]
    with pytest.raises(SoldOut, match="Loft"):
        await checkout.place(conn, scope, order(1, 1))  # the hall seat is not kept
    sold = await conn.fetch("SELECT sold FROM ticket_types WHERE id = ANY($1::bigint[]) ORDER BY id", [hall, loft])
    assert [r["sold"] for r in sold] == [2, 1]
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event["id"]) == 1


async def test_refund_partial_then_full_returns_stock(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope, quantity=5)
    order = await checkout.place(conn, scope, _order(event_id, type_id, 2))
    partial = await checkout.refund(conn, scope, order["id"], 500)
    assert partial["refund_amount"] == 500 and partial["status"] == "completed"
    with pytest.raises(ValidationFailed):
        await checkout.refund(conn, scope, order["id"], 5000)
    full = await checkout.refund(conn, scope, order["id"])
    assert full["refund_amount"] == 2000 and full["status"] == "refunded"
    statuses = await conn.fetch("SELECT status FROM issued_tickets WHERE order_id = $1", order["id"])
    assert {s["status"] for s in statuses} == {"void"}
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", type_id) == 0


async def test_void_and_check_in_once_per_nonce(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, _order(event_id, type_id, 2))
    first, second = await conn.fetch("SELECT id FROM issued_tickets WHERE order_id = $1 ORDER BY id",
                                      order["id"])
    _, new = await checkout.check_in(conn, scope, first["id"], "scan-1")
    _, again = await checkout.check_in(conn, scope, first["id"], "scan-1")
    assert (new, again) == (True, False)
    assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE ticket_id = $1", first["id"]) == 1
    voided = await void_ticket(conn, scope, second["id"])
    assert voided["status"] == "void" and voided["voided_at"] is not None
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", type_id) == 1
    with pytest.raises(Exception, match="void"):
        await checkout.check_in(conn, scope, second["id"], "scan-2")


async def test_ticket_type_with_sales_cannot_be_removed(conn, box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    spare = await events.add_ticket_type(conn, scope, event_id, parse(TicketTypeCreate, {
        "name": "Spare", "quantity": 5}))
    await checkout.place(conn, scope, _order(event_id, type_id))
    with pytest.raises(TicketTypeHasSales):
        await events.remove_ticket_type(conn, scope, type_id)
    await events.remove_ticket_type(conn, scope, spare["id"])
    assert [t["id"] for t in await events.ticket_types_for(conn, [event_id])] == [type_id]


async def test_slug_unique_per_box_office_and_generated(conn, box_office, make_box_office):
    scope = Scope(box_office["id"], True)
    data = parse(EventCreate, {"title": "Late Show", "starts_at": LATER})
    first = await events.create_event(conn, scope, data)
    second = await events.create_event(conn, scope, data)
    assert (first["slug"], second["slug"]) == ("late-show", "late-show-2")
    other = await make_box_office()
    assert (await events.create_event(conn, Scope(other["id"], True), data))["slug"] == "late-show"


@pytest.mark.parametrize("bad", [
    {"title": "", "starts_at": "2030-01-01T00:00:00Z"},
    {"title": "x", "starts_at": "2030-01-01T00:00:00"},
    {"title": "x", "starts_at": "2030-01-01T00:00:00Z", "timezone": "Mars/Olympus"},
    {"title": "x\x00", "starts_at": "2030-01-01T00:00:00Z"},
    {"title": "x", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2029-01-01T00:00:00Z"},
    {"title": "x", "starts_at": "2030-01-01T00:00:00Z", "ticket_types": [{"name": "a", "quantity": -1}]},
    {"title": "x", "starts_at": "2030-01-01T00:00:00Z", "ticket_types": [{"name": "a", "quantity": 3,
                                                                          "price": 10**12}]},
])
def test_event_input_is_validated(bad):
    with pytest.raises(ValidationFailed):
        parse(EventCreate, bad)


async def test_moving_time_controls_sale_window(conn, box_office, clock, checkout):
    scope = Scope(box_office["id"], True)
    opens = datetime.now(UTC) + timedelta(days=1)
    event_id, type_id = await event_with_type(conn, scope, sale_starts_at=opens)
    with pytest.raises(Unprocessable):
        await checkout.place(conn, scope, _order(event_id, type_id))
    clock.advance(days=2)
    assert (await checkout.place(conn, scope, _order(event_id, type_id)))["status"] == "completed"


async def test_listing_by_exact_created_second(conn, box_office, checkout):
    from core.listing import KEY_ID, OrderFilters, PageQuery, TimeRange, list_orders, raw_columns

    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, _order(event_id, type_id))
    second = order["created_at"].replace(microsecond=0)
    columns = raw_columns("o")
    hit = await list_orders(conn, columns, scope, OrderFilters(created=TimeRange(eq=second)), PageQuery(10))
    miss = await list_orders(conn, columns, scope, OrderFilters(created=TimeRange(eq=second - timedelta(seconds=1))),
                             PageQuery(10))
    assert [r[KEY_ID] for r in hit.rows] == [order["id"]] and miss.rows == []


@pytest.mark.parametrize(("model", "field"), [
    ("EventUpdate", "slug"), ("EventUpdate", "title"), ("TicketTypeUpdate", "quantity"),
    ("TicketTypeUpdate", "booking_fee"), ("TicketTypeUpdate", "min_per_order"), ("TicketTypeUpdate", "sort_order"),
])
def test_partial_updates_refuse_null_for_required_columns(model, field):
    from core import models

    with pytest.raises(ValidationFailed, match="must not be null"):
        parse(getattr(models, model), {field: None})
    assert parse(getattr(models, model), {}).provided() == {}


async def test_a_title_used_more_than_twenty_times_still_gets_the_next_free_slug(conn, box_office):
    scope = Scope(box_office["id"], True)
    data = parse(EventCreate, {"title": "Open Mic", "starts_at": LATER})
    slugs = [(await events.create_event(conn, scope, data))["slug"] for _ in range(23)]
    assert slugs == ["open-mic", *(f"open-mic-{n}" for n in range(2, 24))]


def test_barcodes_use_the_whole_alphabet_and_never_repeat_in_practice():
    barcodes = [new_barcode() for _ in range(5000)]
    assert len(set(barcodes)) == 5000
    assert all(len(b) == BARCODE_LENGTH and set(b) <= set(BARCODE_ALPHABET) for b in barcodes)
    assert set("".join(barcodes)) == set(BARCODE_ALPHABET)


async def test_checkout_rows_reference_no_shared_parent_but_the_event(conn):
    """Every foreign key check locks its parent row, and concurrent checkouts of one event share
    it: an order's rows may reference their own order, the ticket type (already locked by the
    stock UPDATE) and, once per order, the event - never the box office (schema migration 6) - and
    the discount and voucher code a checkout locks anyway when it uses them (migration 9)."""
    rows = await conn.fetch(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent"
        " FROM pg_constraint c WHERE c.contype = 'f'"
        " AND c.conrelid::regclass::text IN ('orders', 'order_line_items', 'issued_tickets')")
    parents = {(row["child"], row["parent"]) for row in rows}
    assert parents == {("orders", "events"), ("order_line_items", "orders"),
                       ("order_line_items", "ticket_types"), ("issued_tickets", "orders"),
                       ("issued_tickets", "ticket_types"), ("orders", "discounts"), ("orders", "voucher_codes")}


async def test_a_ticket_stays_in_its_orders_event_and_box_office(conn, box_office, make_box_office, checkout):
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    other_event, _ = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, _order(event_id, type_id))
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await conn.execute("UPDATE issued_tickets SET event_id = $1 WHERE order_id = $2", other_event, order["id"])
    stranger = await make_box_office()
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await conn.execute("UPDATE orders SET box_office_id = $1 WHERE id = $2", stranger["id"], order["id"])
    # an order moved to another event of its box office takes its tickets along
    await conn.execute("UPDATE orders SET event_id = $1 WHERE id = $2", other_event, order["id"])
    assert await conn.fetchval("SELECT event_id FROM issued_tickets WHERE order_id = $1", order["id"]) == other_event


async def test_deleting_a_box_office_removes_its_orders_and_tickets(conn, make_box_office, checkout):
    office = await make_box_office()
    scope = Scope(office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, _order(event_id, type_id, 2))
    await conn.execute("DELETE FROM box_offices WHERE id = $1", office["id"])
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE id = $1", order["id"]) == 0
    assert await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE order_id = $1", order["id"]) == 0



async def test_an_event_whose_title_is_new_is_one_insert_per_row(conn, box_office):
    """No look at the slugs in use while the title's own is free: the insert tells (its plan
    could read every event of a box office that grew since the last ANALYZE)."""
    scope = Scope(box_office["id"], True)
    statements: list[str] = []

    def log(record: asyncpg.connection.LoggedQuery) -> None:
        statements.append(record.query)

    conn.add_query_logger(log)
    try:
        event = await events.create_event(conn, scope, parse(EventCreate, {
            "title": "A Brand New Title", "starts_at": LATER, "currency": "EUR",
            "ticket_types": [{"name": "GA", "price": 1000, "quantity": 5}]}))
    finally:
        conn.remove_query_logger(log)
    assert event["slug"] == "a-brand-new-title"
    assert [q.split()[0:3] for q in statements if not q.startswith(("BEGIN", "COMMIT"))] == [
        ["INSERT", "INTO", "events"], ["INSERT", "INTO", "ticket_types"]]



async def test_events_created_at_once_with_one_title_each_get_their_own_slug(database_dsn, box_office):
    """The insert tells a taken slug (ON CONFLICT DO NOTHING), then the next free one is tried:
    concurrent creators of one title all succeed, none is refused for a slug it did not ask for."""
    scope = Scope(box_office["id"], True)
    data = parse(EventCreate, {"title": "Flash Sale", "starts_at": LATER})
    pool = await create_pool(database_dsn, min_size=8, max_size=8)

    async def create() -> str:
        async with pool.acquire() as c:
            return str((await events.create_event(c, scope, data))["slug"])

    try:
        slugs = await asyncio.gather(*(create() for _ in range(8)))
    finally:
        await pool.close()
    assert sorted(slugs) == sorted(["flash-sale", *(f"flash-sale-{n}" for n in range(2, 9))])

async def test_an_explicit_slug_that_is_taken_is_refused(conn, box_office):
    scope = Scope(box_office["id"], True)
    data = parse(EventCreate, {"title": "Gig", "slug": "the-gig", "starts_at": LATER})
    await events.create_event(conn, scope, data)
    with pytest.raises(SlugTaken):
        await events.create_event(conn, scope, data)


async def test_one_events_ticket_types_are_those_of_the_many_events_read(conn, box_office):
    """One event's ticket types (a detail GET) come from a statement of their own: with the
    benchmark's 10,000 events PostgreSQL planned `= ANY($1)` anew on every request (it costs the
    generic plan for an array of unknown length above the custom plan for one event), and each
    connection's history of lists and detail GETs decided when it stopped. A database this small
    plans both once, so the test holds the statement, and that it answers as the list does."""
    scope = Scope(box_office["id"], True)
    first = await events.create_event(conn, scope, parse(EventCreate, {
        "title": "First", "starts_at": LATER, "ticket_types": [
            {"name": "Late", "price": 500, "quantity": 5, "sort_order": 2},
            {"name": "Early", "price": 500, "quantity": 5, "sort_order": 1},
            {"name": "Also early", "price": 500, "quantity": 5, "sort_order": 1}]}))
    second, _ = await event_with_type(conn, scope)
    statements: list[str] = []

    def log(record: asyncpg.connection.LoggedQuery) -> None:
        statements.append(record.query)

    conn.add_query_logger(log)
    try:
        alone = await events.ticket_types_for(conn, [first["id"]])
    finally:
        conn.remove_query_logger(log)
    together = await events.ticket_types_for(conn, [second, first["id"]])
    assert [dict(r) for r in alone] == [dict(r) for r in together if r["event_id"] == first["id"]]
    assert [r["name"] for r in alone] == ["Early", "Also early", "Late"]
    assert len(statements) == 1 and "tt.event_id = $1::bigint" in statements[0] and "ANY" not in statements[0]
