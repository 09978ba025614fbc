"""Checkout, refunds, voids and check-ins.

Stock is taken by one conditional UPDATE per ticket type
(``sold = sold + n WHERE sold + held + n <= quantity``) in the statement or transaction that
writes the order, so a seat is never sold twice, and a CHECK constraint on the table backs
it up. Nothing else in ticketgate writes ``sold``.

Checkout has two shapes, one answer:

- **at once** (one ticket type, nobody watching order events): a single statement inserts the
  orders, their line items and their tickets and takes the stock, which the ``ticket_types_stock``
  constraint refuses past the quantity: then the statement fails as a whole and nothing is
  written. One round trip, atomic by itself. The stock UPDATE is the one part of the statement
  nothing reads, which PostgreSQL runs after the rest, so the row lock every buyer of the type
  queues on lasts only for it and the commit (that order is PostgreSQL's, not a promise it
  makes: correctness never depends on it, only how long the lock is held).
  Buyers of one ticket type who arrive while that statement runs would only queue on its row
  lock, each for a commit of its own; instead they wait in the process and the next statement
  writes all of them, up to ``BATCH_MAX`` orders and one commit (group commit). The first
  waiting buyer's request writes it, on its own connection. When a batch fails (too few seats
  left for all of it, say) nothing of it is written, and its orders are written one by one, so
  each buyer gets the answer it would have had alone. An order whose caller is inside a
  transaction of its own is never batched.
- **in a transaction** (several types, or an observer such as the webhook outbox wants
  ``order.placed`` / ``event.sold_out``): the order is written, observers write in the same
  transaction, then stock is taken type by type in id order (two multi-type orders never
  deadlock) as the last writes, so the row lock other buyers queue on is held for the shortest
  time; a sold-out event is detected before COMMIT.

Whether anyone watches is read with the event and its types, before writing: a subscription
created while an order is being placed may miss that one order (as it could before, when the
check ran inside the transaction but before COMMIT).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import asyncpg
import orjson

from core.clock import Clock
from core.errors import Conflict, FieldError, NotFound, SoldOut, Unprocessable, ValidationFailed
from core.events import available, on_sale_now
from core.models import OrderCreate, OrderLine, Scope

BARCODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BARCODE_LENGTH = 10
CLOSED_EVENT_STATUSES = ("cancelled", "completed", "archived")
PLACE_ORDER_KINDS = ["order.placed", "event.sold_out"]


class OrderObserver(Protocol):
    """Called inside the order's transaction after each change, so a rolled-back change emits nothing."""

    # SQL, true when the observer wants any of the kinds {kinds} (text[]) for box office
    # {box_office} in mode {livemode}; checkout skips its transaction when nobody does
    @property
    def watching(self) -> str: ...

    async def __call__(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None: ...


_observer: list[OrderObserver] = []  # one slot: installing twice is harmless


def observe(observer: OrderObserver | None) -> None:
    _observer[:] = [observer] if observer is not None else []


async def _emit(conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None:
    for observer in _observer:
        await observer(conn, scope, kind, object_id)


def _watching(box_office: str, livemode: str, kinds: str) -> str:
    checks = [o.watching.format(box_office=box_office, livemode=livemode, kinds=kinds) for o in _observer]
    return " OR ".join(f"({check})" for check in checks) or "false"


def new_barcode() -> str:
    """Ten characters of the alphabet, uniformly random: one draw from the OS (not one per character)."""
    number = secrets.randbelow(len(BARCODE_ALPHABET) ** BARCODE_LENGTH)
    chars = []
    for _ in range(BARCODE_LENGTH):
        number, digit = divmod(number, len(BARCODE_ALPHABET))
        chars.append(BARCODE_ALPHABET[digit])
    return "".join(chars)


async def place_order(
    conn: asyncpg.Connection, scope: Scope, data: OrderCreate, clock: Clock
) -> asyncpg.Record:
    """Place an order; the order's row, plus ``tickets``: [{id, barcode, status, ticket_type_id}]."""
    return await _place(conn, "b.id = $1", scope.box_office_id, scope.livemode, data, clock)


async def place_order_in(
    conn: asyncpg.Connection, box_office_slug: str, livemode: bool, data: OrderCreate, clock: Clock
) -> asyncpg.Record:
    """``place_order`` for a box office named by its slug (the operator's API and CLI)."""
    return await _place(conn, "b.slug = $1", box_office_slug, livemode, data, clock)


async def _place(
    conn: asyncpg.Connection, office: str, box_office: int | str, livemode: bool, data: OrderCreate, clock: Clock
) -> asyncpg.Record:
    now = clock.now()
    scope, event, types, watched = await _context(conn, office, box_office, livemode, data)
    if event["status"] in CLOSED_EVENT_STATUSES:
        raise Unprocessable(f"The event is {event['status']} and not selling tickets")
    lines = sorted(data.lines, key=lambda line: line.ticket_type_id)
    _check_rules(lines, types, now)
    args = _write_args(scope, event, lines, types, data, now)
    if len(lines) == 1 and not watched:
        return await _place_at_once(conn, types[lines[0].ticket_type_id], args)
    async with conn.transaction():
        order = await conn.fetchrow(ORDER_SQL, *args)
        await _emit(conn, scope, "order.placed", order["id"])
        # Stock last: the UPDATE locks the ticket type's row until COMMIT, and every other buyer
        # of that type queues on it, so nothing but the sold-out check may run while it is held.
        left = [await _take_stock(conn, types[line.ticket_type_id], line.quantity) for line in lines]
        if not any(left) and await _event_sold_out(conn, event["id"]):
            await _emit(conn, scope, "event.sold_out", event["id"])
    return order


async def _place_at_once(conn: asyncpg.Connection, ticket_type: Any, order: _Order) -> Any:
    me = _Buyer(order, asyncio.get_running_loop().create_future())
    if available(ticket_type) < me.quantity:  # already gone: refuse without writing anything
        raise _sold_out(ticket_type, me.quantity)
    type_id = ticket_type["id"]
    if conn.is_in_transaction():  # the caller's transaction decides this order, not a batch's commit
        await _write_batch(conn, ticket_type, [me])
    elif (queue := _queued.get(type_id)) is None:  # nobody writing this type: write now, alone
        _queued[type_id] = []
        await _lead(conn, ticket_type, [me])
    else:
        queue.append(me)
        try:
            batch = await me.wake
        except asyncio.CancelledError:
            if me.wake.done() and not me.wake.cancelled() and (turn := me.wake.result()) is not None:
                _queued[type_id][:0] = turn[1:]  # cancelled as its turn came: pass the turn on
                _hand_on(type_id)
            raise
        if batch is not None:  # our turn: we write the buyers queued behind the last statement
            await _lead(conn, ticket_type, batch)
    if me.error is not None:
        raise me.error
    return me.row


@dataclass(eq=False, slots=True)
class _Buyer:
    """One at-once order: it is written by its own request or by the request leading its batch."""

    order: _Order
    # None once written by another request (``row`` or ``error`` is set); a list of buyers
    # when it is this request's turn to write them; cancelled when the request is gone
    wake: asyncio.Future[list[_Buyer] | None]
    row: Any = None
    error: Exception | None = None

    @property
    def quantity(self) -> int:  # an at-once order has one line
        return self.order.line_quantities[0]


BATCH_MAX = 64  # orders in one statement
_queued: dict[int, list[_Buyer]] = {}  # ticket type id → buyers waiting while a statement writes that type


async def _lead(conn: asyncpg.Connection, ticket_type: Any, batch: list[_Buyer]) -> None:
    """Write ``batch``, wake its buyers, then give the next statement to the first buyer queued."""
    try:
        await _write_batch(conn, ticket_type, batch)
    except BaseException:  # cancelled mid-statement: whether it committed is unknown to everyone
        for buyer in batch:
            if buyer.row is None and buyer.error is None:
                buyer.error = RuntimeError("checkout interrupted: the order's outcome is unknown")
        raise
    finally:
        for buyer in batch[1:]:
            if not buyer.wake.done():
                buyer.wake.set_result(None)
        _hand_on(ticket_type["id"])


def _hand_on(type_id: int) -> None:
    queue = [buyer for buyer in _queued[type_id] if not buyer.wake.done()]  # without the cancelled
    if not queue:
        del _queued[type_id]
        return
    batch, _queued[type_id] = queue[:BATCH_MAX], queue[BATCH_MAX:]
    batch[0].wake.set_result(batch)


async def _write_batch(conn: asyncpg.Connection, ticket_type: Any, batch: list[_Buyer]) -> None:
    """One statement for the whole batch; when it fails, nothing of it is written and each
    order is written alone, so only the buyers it concerns get the error."""
    try:
        rows = await conn.fetch(BATCH_SQL, *_batch_args(batch), ticket_type["id"], ticket_type["name"],
                                sum(buyer.quantity for buyer in batch))
    except asyncpg.PostgresError as exc:
        if len(batch) > 1:
            for buyer in batch:
                await _write_batch(conn, ticket_type, [buyer])
        elif isinstance(exc, asyncpg.CheckViolationError) and exc.constraint_name == "ticket_types_stock":
            batch[0].error = _sold_out(ticket_type, batch[0].quantity)
        else:
            batch[0].error = exc
        return
    for buyer, row in zip(batch, rows, strict=True):
        buyer.row = row


def _column(orders: list[_Order], name: str) -> list[Any]:
    values = [getattr(order, name) for order in orders]
    if name in ("buyer_address", "custom_questions"):  # jsonb as text: asyncpg reads a dict as a sub-array
        return [orjson.dumps(value).decode() for value in values]
    return values


def _batch_args(batch: list[_Buyer]) -> tuple[Any, ...]:
    """The parameters $1-$21 of ``BATCH_SQL``: the event's, then one array entry per order,
    then per ticket the order's place in the batch and the barcode."""
    orders = [buyer.order for buyer in batch]
    first = orders[0]
    return (
        first.box_office, first.livemode, first.event, first.currency,
        *(_column(orders, name) for name in BATCH_COLUMNS),
        [buyer.quantity for buyer in batch],
        [n for n, o in enumerate(orders, 1) for _ in o.barcodes],
        [barcode for o in orders for barcode in o.barcodes],
    )


async def _context(
    conn: asyncpg.Connection, office: str, box_office: int | str, livemode: bool, data: OrderCreate
) -> tuple[Scope, dict[str, Any], dict[int, asyncpg.Record], bool]:
    """The box office, the event, the order's ticket types and whether an observer watches: one query."""
    ids = [line.ticket_type_id for line in data.lines]
    rows = await conn.fetch(
        f"SELECT b.id AS _box_office, e.id AS _event_id, e.status AS _event_status,"
        f" e.currency AS _event_currency, {_watching('b.id', '$2', '$5::text[]')} AS _watched, tt.*"
        " FROM box_offices b LEFT JOIN events e ON e.box_office_id = b.id AND e.livemode = $2 AND e.id = $3"
        " LEFT JOIN ticket_types tt ON tt.event_id = e.id AND tt.id = ANY($4::bigint[])"
        f" WHERE {office}",
        box_office, livemode, data.event_id, ids, PLACE_ORDER_KINDS,
    )
    if not rows:
        raise NotFound("box_office", f"Box office not found: {box_office}")
    first = rows[0]
    if first["_event_id"] is None:
        raise NotFound("event", "Event not found")
    scope = Scope(first["_box_office"], livemode)
    event = {"id": first["_event_id"], "status": first["_event_status"], "currency": first["_event_currency"]}
    found = {row["id"]: row for row in rows if row["id"] is not None}
    missing = [
        FieldError(f"lines.{i}.ticket_type_id", "no such ticket type for this event")
        for i, tid in enumerate(ids)
        if tid not in found
    ]
    if missing:
        raise ValidationFailed(missing)
    return scope, event, found, bool(first["_watched"])


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


class _Order(NamedTuple):
    """The parameters $1-$26 of ``ORDER_SQL``: the order, its lines, then one entry per ticket."""

    box_office: int
    livemode: bool
    event: int
    buyer_name: str
    buyer_email: str
    buyer_phone: str | None
    buyer_address: dict[str, Any]
    custom_questions: list[dict[str, Any]]
    currency: str
    subtotal: int
    booking_fee: int
    tax: int
    total: int
    payment_method: str
    txn_id: str
    created_at: datetime
    line_types: list[int]
    line_names: list[str]
    line_quantities: list[int]
    line_values: list[int]
    line_fees: list[int]
    first_name: str | None
    last_name: str | None
    seat_types: list[int]
    seat_names: list[str]
    barcodes: list[str]


_TICKETS_JSON = ("coalesce(json_agg(json_build_object('id', id, 'barcode', barcode, 'status', status,"
                 " 'ticket_type_id', ticket_type_id) ORDER BY id), '[]')")

# The order, its line items and its tickets in one statement (the stock is taken after it).
ORDER_SQL = (
    "WITH placed AS ("
    " INSERT INTO orders (box_office_id, livemode, event_id, buyer_name, buyer_email, buyer_phone,"
    " buyer_address, custom_questions, currency, subtotal, booking_fee, tax, total,"
    " payment_method, txn_id, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING *"
    "), items AS ("
    " INSERT INTO order_line_items (order_id, ticket_type_id, type, description, quantity, value,"
    " booking_fee, total)"
    " SELECT placed.id, l.type_id, 'ticket', l.name, l.quantity, l.value, l.fee, l.value + l.fee"
    " FROM placed, unnest($17::bigint[], $18::text[], $19::int[], $20::int[], $21::int[])"
    " AS l(type_id, name, quantity, value, fee)"
    "), tickets AS ("
    " INSERT INTO issued_tickets (box_office_id, livemode, order_id, event_id, ticket_type_id,"
    " barcode, description, first_name, last_name, email, created_at, updated_at, reference)"
    " SELECT $1, $2, placed.id, $3, x.type_id, x.barcode, x.name, $22, $23, $5, $16, $16, x.barcode"
    " FROM placed, unnest($24::bigint[], $25::text[], $26::text[]) AS x(type_id, name, barcode)"
    " RETURNING id, barcode, status, ticket_type_id"
    f") SELECT placed.*, (SELECT {_TICKETS_JSON} FROM tickets) AS tickets FROM placed"
)

# _Order fields that ``BATCH_SQL`` takes as arrays, one entry per order ($5-$18)
BATCH_COLUMNS = ("buyer_name", "buyer_email", "buyer_phone", "buyer_address", "custom_questions",
                 "subtotal", "booking_fee", "tax", "total", "payment_method", "txn_id", "created_at",
                 "first_name", "last_name")

# Orders of one ticket type ($22, named $23), their line items and tickets, and their $24 seats
# taken from the stock, in one statement; the rows come back in the order of the arrays. The
# orders' ids are drawn first, so that the line items and tickets can name their order.
BATCH_SQL = (
    "WITH o AS MATERIALIZED ("
    " SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id, o.*"
    " FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int[],"
    " $12::int[], $13::int[], $14::text[], $15::text[], $16::timestamptz[], $17::text[], $18::text[],"
    " $19::int[]) WITH ORDINALITY AS o(buyer_name, buyer_email, buyer_phone, buyer_address,"
    " custom_questions, subtotal, booking_fee, tax, total, payment_method, txn_id, created_at,"
    " first_name, last_name, quantity, n)"
    "), placed AS ("
    " INSERT INTO orders (id, box_office_id, livemode, event_id, buyer_name, buyer_email, buyer_phone,"
    " buyer_address, custom_questions, currency, subtotal, booking_fee, tax, total,"
    " payment_method, txn_id, created_at, updated_at)"
    " SELECT id, $1, $2, $3, buyer_name, buyer_email, buyer_phone, buyer_address::jsonb, custom_questions::jsonb, $4,"
    " subtotal, booking_fee, tax, total, payment_method, txn_id, created_at, created_at FROM o"
    " RETURNING *"
    "), items AS ("
    " INSERT INTO order_line_items (order_id, ticket_type_id, type, description, quantity, value,"
    " booking_fee, total)"
    " SELECT id, $22, 'ticket', $23, quantity, subtotal, booking_fee, subtotal + booking_fee FROM o"
    "), tickets AS ("
    " INSERT INTO issued_tickets (box_office_id, livemode, order_id, event_id, ticket_type_id,"
    " barcode, description, first_name, last_name, email, created_at, updated_at, reference)"
    " SELECT $1, $2, o.id, $3, $22, x.barcode, $23, o.first_name, o.last_name, o.buyer_email,"
    " o.created_at, o.created_at, x.barcode"
    " FROM unnest($20::bigint[], $21::text[]) AS x(n, barcode) JOIN o USING (n)"
    " RETURNING id, barcode, status, ticket_type_id, order_id"
    "), stock AS (UPDATE ticket_types SET sold = sold + $24, updated_at = now() WHERE id = $22)"
    f" SELECT placed.*, coalesce(t.tickets, '[]') AS tickets"
    " FROM placed JOIN o USING (id)"
    f" LEFT JOIN (SELECT order_id, {_TICKETS_JSON} AS tickets FROM tickets GROUP BY order_id) t"
    " ON t.order_id = placed.id"
    " ORDER BY o.n"
)


def _write_args(
    scope: Scope, event: Any, lines: list[OrderLine], types: dict[int, Any], data: OrderCreate, now: datetime,
) -> _Order:
    buyer = data.buyer
    line_types = [types[line.ticket_type_id] for line in lines]
    values = [tt["price"] * line.quantity for tt, line in zip(line_types, lines, strict=True)]
    fees = [tt["booking_fee"] * line.quantity for tt, line in zip(line_types, lines, strict=True)]
    subtotal, fee_total = sum(values), sum(fees)
    method = data.payment_method if subtotal + fee_total + data.tax > 0 else "no_cost"
    names = buyer.name.split(" ", 1) if buyer.name else []
    first, last = (names + [None, None])[:2] if names else (None, None)
    seats = [tt for tt, line in zip(line_types, lines, strict=True) for _ in range(line.quantity)]
    return _Order(
        scope.box_office_id, scope.livemode, event["id"], buyer.name, buyer.email, buyer.phone,
        buyer.address.model_dump(), [a.model_dump() for a in buyer.custom_questions], event["currency"],
        subtotal, fee_total, data.tax, subtotal + fee_total + data.tax, method,
        data.txn_id or f"txn_{secrets.token_hex(8)}", now,
        [tt["id"] for tt in line_types], [tt["name"] for tt in line_types], [line.quantity for line in lines],
        values, fees, first, last,
        [tt["id"] for tt in seats], [tt["name"] for tt in seats], [new_barcode() for _ in seats],
    )


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
        raise _sold_out(ticket_type, quantity)
    return bool(left)


def _sold_out(ticket_type: Any, quantity: int) -> SoldOut:
    if quantity == 1:
        return SoldOut(f"{ticket_type['name']} is sold out")
    return SoldOut(f"Not enough {ticket_type['name']} tickets left for {quantity}")


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
