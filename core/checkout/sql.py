"""Checkout's statements, with their parameters named.

Each statement's arguments are a NamedTuple (``Order``, ``Batch``) passed as ``*args``; the
statement's text names its placeholders by those fields (``Params``), and each INSERT is
written as column -> value pairs, so adding a column is one entry and nothing counts ``$n``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple


class Params:
    """``p.buyer_email`` -> ``"$5"``: the placeholder of a field of a statement's argument tuple."""

    def __init__(self, fields: Iterable[str]) -> None:
        self._numbers = {name: n for n, name in enumerate(fields, 1)}

    def __getattr__(self, name: str) -> str:
        return f"${self._numbers[name]}"

    def arrays(self, typed: Iterable[tuple[str, str]]) -> str:
        """``$17::bigint[], $18::text[]``: typed array parameters for ``unnest``."""
        return ", ".join(f"{getattr(self, name)}::{sql_type}" for name, sql_type in typed)


def insert(table: str, values: Mapping[str, str], source: str = "") -> str:
    """``INSERT INTO table (columns)`` with one value expression per column, from ``source``
    (a ``SELECT ... FROM`` tail) or as ``VALUES`` when there is none."""
    columns, exprs = ", ".join(values), ", ".join(values.values())
    if not source:
        return f" INSERT INTO {table} ({columns}) VALUES ({exprs})"
    return f" INSERT INTO {table} ({columns}) SELECT {exprs} FROM {source}"


# the columns of an order that checkout writes (``orders`` has defaults for the rest)
ORDER_COLUMNS = ("box_office_id", "livemode", "event_id", "buyer_name", "buyer_email", "buyer_phone",
                 "buyer_address", "custom_questions", "currency", "subtotal", "booking_fee", "tax", "total",
                 "payment_method", "txn_id", "created_at")
JSON_COLUMNS = ("buyer_address", "custom_questions")
LINE_ITEM_COLUMNS = ("order_id", "ticket_type_id", "type", "description", "quantity", "value", "booking_fee",
                     "total")
TICKET_COLUMNS = ("box_office_id", "livemode", "order_id", "event_id", "ticket_type_id", "barcode", "description",
                  "first_name", "last_name", "email", "created_at", "updated_at", "reference")


def _row(columns: tuple[str, ...], *exprs: str) -> dict[str, str]:
    return dict(zip(columns, exprs, strict=True))


class Order(NamedTuple):
    """The arguments of ``ORDER_SQL``: the order's columns, its lines, then one entry per ticket."""

    box_office_id: int
    livemode: bool
    event_id: int
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
    first_name: str | None  # every ticket's holder: the buyer
    last_name: str | None
    seat_types: list[int]
    seat_names: list[str]
    barcodes: list[str]


LINES = (("line_types", "bigint[]"), ("line_names", "text[]"), ("line_quantities", "int[]"),
         ("line_values", "int[]"), ("line_fees", "int[]"))
SEATS = (("seat_types", "bigint[]"), ("seat_names", "text[]"), ("barcodes", "text[]"))

_TICKETS_JSON = ("coalesce(json_agg(json_build_object('id', id, 'barcode', barcode, 'status', status,"
                 " 'ticket_type_id', ticket_type_id) ORDER BY id), '[]')")
_TICKET_RETURNS = " RETURNING id, barcode, status, ticket_type_id"


def _order_sql() -> str:
    p = Params(Order._fields)
    order = {column: getattr(p, column) for column in ORDER_COLUMNS} | {"updated_at": p.created_at}
    items = _row(LINE_ITEM_COLUMNS, "placed.id", "l.type_id", "'ticket'", "l.name", "l.quantity", "l.value",
                 "l.fee", "l.value + l.fee")
    tickets = _row(TICKET_COLUMNS, p.box_office_id, p.livemode, "placed.id", p.event_id, "x.type_id",
                   "x.barcode", "x.name", p.first_name, p.last_name, p.buyer_email, p.created_at, p.created_at,
                   "x.barcode")
    return (
        "WITH placed AS (" + insert("orders", order) + " RETURNING *"
        "), items AS (" + insert("order_line_items", items, f"placed, unnest({p.arrays(LINES)})"
                                 " AS l(type_id, name, quantity, value, fee)")
        + "), tickets AS (" + insert("issued_tickets", tickets, f"placed, unnest({p.arrays(SEATS)})"
                                     " AS x(type_id, name, barcode)") + _TICKET_RETURNS
        + f") SELECT placed.*, (SELECT {_TICKETS_JSON} FROM tickets) AS tickets FROM placed"
    )


# The order, its line items and its tickets in one statement (the stock is taken after it).
ORDER_SQL = _order_sql()


class Batch(NamedTuple):
    """The arguments of ``BATCH_SQL``: orders of one ticket type, one line each, with one array
    entry per order, then per ticket its order's place in the batch and its barcode."""

    box_office_id: int
    livemode: bool
    event_id: int
    currency: str
    buyer_name: list[str]
    buyer_email: list[str]
    buyer_phone: list[str | None]
    buyer_address: list[str]  # jsonb as text: asyncpg reads a dict in an array as a sub-array
    custom_questions: list[str]
    subtotal: list[int]
    booking_fee: list[int]
    tax: list[int]
    total: list[int]
    payment_method: list[str]
    txn_id: list[str]
    created_at: list[datetime]
    first_name: list[str | None]
    last_name: list[str | None]
    quantity: list[int]
    seat_orders: list[int]  # per ticket: its order's place in the batch, from 1
    barcodes: list[str]
    ticket_type_id: int
    ticket_type_name: str
    seats: int  # taken from the stock


BATCH_ORDER_ARRAYS = (("buyer_name", "text[]"), ("buyer_email", "text[]"), ("buyer_phone", "text[]"),
                      ("buyer_address", "text[]"), ("custom_questions", "text[]"), ("subtotal", "int[]"),
                      ("booking_fee", "int[]"), ("tax", "int[]"), ("total", "int[]"), ("payment_method", "text[]"),
                      ("txn_id", "text[]"), ("created_at", "timestamptz[]"), ("first_name", "text[]"),
                      ("last_name", "text[]"), ("quantity", "int[]"))
BATCH_EVENT_FIELDS = ("box_office_id", "livemode", "event_id", "currency")  # the same for every order


def _batch_order_value(p: Params, column: str) -> str:
    if column in BATCH_EVENT_FIELDS:
        return getattr(p, column)
    return f"{column}::jsonb" if column in JSON_COLUMNS else column


def _batch_sql() -> str:
    p = Params(Batch._fields)
    order = {"id": "id"} | {c: _batch_order_value(p, c) for c in ORDER_COLUMNS} | {"updated_at": "created_at"}
    items = _row(LINE_ITEM_COLUMNS, "id", p.ticket_type_id, "'ticket'", p.ticket_type_name, "quantity", "subtotal",
                 "booking_fee", "subtotal + booking_fee")
    tickets = _row(TICKET_COLUMNS, p.box_office_id, p.livemode, "o.id", p.event_id, p.ticket_type_id, "x.barcode",
                   p.ticket_type_name, "o.first_name", "o.last_name", "o.buyer_email", "o.created_at",
                   "o.created_at", "x.barcode")
    names = ", ".join(name for name, _ in BATCH_ORDER_ARRAYS)
    return (
        "WITH o AS MATERIALIZED ("
        " SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id, o.*"
        f" FROM unnest({p.arrays(BATCH_ORDER_ARRAYS)}) WITH ORDINALITY AS o({names}, n)"
        "), placed AS (" + insert("orders", order, "o") + " RETURNING *"
        "), items AS (" + insert("order_line_items", items, "o")
        + "), tickets AS (" + insert("issued_tickets", tickets, f"unnest({p.seat_orders}::bigint[],"
                                     f" {p.barcodes}::text[]) AS x(n, barcode) JOIN o USING (n)")
        + _TICKET_RETURNS + ", order_id"
        f"), stock AS (UPDATE ticket_types SET sold = sold + {p.seats}, updated_at = now()"
        f" WHERE id = {p.ticket_type_id})"
        " SELECT placed.*, coalesce(t.tickets, '[]') AS tickets FROM placed JOIN o USING (id)"
        f" LEFT JOIN (SELECT order_id, {_TICKETS_JSON} AS tickets FROM tickets GROUP BY order_id) t"
        " ON t.order_id = placed.id ORDER BY o.n"
    )


# Orders of one ticket type, their line items and tickets, and their seats taken from the
# stock, in one statement; the rows come back in the order of the arrays. The orders' ids are
# drawn first, so that the line items and tickets can name their order.
BATCH_SQL = _batch_sql()


# what checkout reads of the event's series: its sale window and its cap per occurrence, with
# the seats the occurrence has taken so far (read only for a capped series: CASE skips the sum)
SERIES_CONTEXT = (
    " s.tickets_available_at AS _opens_at, s.tickets_available_at_message AS _opens_message,"
    " s.tickets_unavailable_at AS _closes_at, s.tickets_unavailable_at_message AS _closes_message,"
    " s.max_tickets_sold_per_occurrence AS _cap, CASE WHEN s.max_tickets_sold_per_occurrence IS NOT NULL"
    " THEN (SELECT coalesce(sum(x.sold + x.held), 0) FROM ticket_types x WHERE x.event_id = e.id) END AS _taken,"
)


def context_sql(office: str, watching: str) -> str:
    """The box office (``office``: ``b.id = $1`` or ``b.slug = $1``) in mode $2, its event $3 and
    the event's series, the event's ticket types among $4 and whether an observer wants the
    kinds $5: one query."""
    return (
        "SELECT b.id AS _box_office, e.id AS _event_id, e.status AS _event_status,"
        f" e.currency AS _event_currency, e.series_id AS _event_series,{SERIES_CONTEXT}"
        f" {watching} AS _watched, tt.*"
        " FROM box_offices b LEFT JOIN events e ON e.box_office_id = b.id AND e.livemode = $2 AND e.id = $3"
        " LEFT JOIN event_series s ON s.id = e.series_id"
        " LEFT JOIN ticket_types tt ON tt.event_id = e.id AND tt.id = ANY($4::bigint[])"
        f" WHERE {office}"
    )


# A capped occurrence's ticket types, every one, locked in id order (checkout's lock order for
# ticket types) with what each has taken: a fresh read of rows no other checkout of the
# occurrence can change until this one commits. A row lock returns each row's latest version
# even after waiting for it, which an aggregate over the snapshot taken before the wait would
# not. NO KEY UPDATE is the stock UPDATE's own lock: it leaves the foreign key checks of other
# orders' rows (KEY SHARE) free, so they cannot queue behind it crosswise.
CAPPED_TYPES_SQL = ("SELECT id, sold + held AS taken FROM ticket_types WHERE event_id = $1 ORDER BY id"
                    " FOR NO KEY UPDATE")


# $2 seats of ticket type $1, or no row when too few are left; whether the type still has
# seats that a buyer could see (then the event cannot have sold out)
TAKE_STOCK_SQL = (
    "UPDATE ticket_types SET sold = sold + $2, updated_at = now()"
    " WHERE id = $1 AND sold + held + $2 <= quantity"
    " RETURNING status <> 'hidden' AND sold + held < quantity"
)

EVENT_SOLD_OUT_SQL = (
    "SELECT bool_and(sold + held >= quantity) AND count(*) > 0 FROM ticket_types"
    " WHERE event_id = $1 AND status <> 'hidden'"
)

REFUNDED_SQL = (
    "UPDATE orders SET refund_amount = refund_amount + $2, status = $3, updated_at = now()"
    " WHERE id = $1 RETURNING *"
)
