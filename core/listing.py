"""Lists of events, orders and issued tickets: filters and keyset pages.

Every list is ordered newest first on (created_at, id), which an index of each table
covers, so a page a million rows deep costs what the first page costs. Dialects
translate their own paging (ids, signed cursors, page numbers) into ``PageQuery`` and
choose the columns (their projection, core.projection); every page's columns include
the rows' positions as the hidden ``_at`` and ``_id`` (``keyset_columns``). ``_at`` is the
row's ``created_at`` as whole microseconds since the epoch (``position``), an integer: a
``timestamptz`` costs asyncpg about 1 us a value to decode into a datetime (measured on a
100-ticket page: 113 us of its 396), and only a cursor's last row needs one (``Page.keyset``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg

from core.models import Scope
from core.projection import Field

KEY_AT, KEY_ID = "_at", "_id"  # each listed row's position (created_at, id), hidden from clients
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def position(column: str) -> str:
    """A ``timestamptz`` column as whole microseconds since the epoch: exact (``extract`` gives a
    numeric since PostgreSQL 14), and ordered as the column is."""
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


def position_time(microseconds: int) -> datetime:
    """The instant of a ``position``, as asyncpg would have decoded the column (UTC)."""
    return EPOCH + timedelta(microseconds=microseconds)


@dataclass(frozen=True, slots=True)
class Keyset:
    created_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int
    after: Keyset | None = None  # rows older than this one (the next page)
    before: Keyset | None = None  # rows newer than this one (the previous page)
    offset: int = 0  # page-number dialects only


@dataclass(slots=True)
class Page:
    rows: list[asyncpg.Record]
    has_more: bool  # more rows beyond this page in the direction of travel
    head: Mapping[str, Any] = field(default_factory=dict)  # the statement's head columns (``page``)

    @property
    def ids(self) -> list[int]:
        return [row[KEY_ID] for row in self.rows]

    @staticmethod
    def keyset(row: Any) -> Keyset:
        return Keyset(position_time(row[KEY_AT]), row[KEY_ID])


@dataclass(frozen=True, slots=True)
class Source:
    """What a list reads: the listed table and its alias (filters and order use only its columns),
    the tables joined to each listed row, and what a missing object is called."""

    table: str
    alias: str
    kind: str  # the NotFound kind and message when one object is missing
    missing: str
    joins: str = ""

    @property
    def tables(self) -> str:
        return f"{self.table} {self.alias}{self.joins}"


EVENTS = Source("events", "e", "event", "Event not found")
# orders are read with their event's fields (vendors show its name and dates on orders)
ORDERS = Source("orders", "o", "order", "Order not found", " JOIN events e ON e.id = o.event_id")
TICKETS = Source("issued_tickets", "t", "issued_ticket", "Issued ticket not found")
SERIES = Source("event_series", "s", "event_series", "Event series not found")
# check-ins are read with their event (the series it belongs to)
CHECK_INS = Source("check_ins", "c", "check_in", "Check-in not found", " JOIN events e ON e.id = c.event_id")


def keyset_columns(alias: str) -> tuple[Field, Field]:
    """The hidden position columns every page's select list carries."""
    return (KEY_AT, position(f"{alias}.created_at")), (KEY_ID, f"{alias}.id")


def raw_columns(alias: str) -> str:
    """Every column of the listed table, plus its position (for lists core serves as rows)."""
    return f"{alias}.*, {position(f'{alias}.created_at')} AS {KEY_AT}, {alias}.id AS {KEY_ID}"


@dataclass
class Where:
    """A WHERE clause built from parts, numbering placeholders as it goes."""

    parts: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, sql: str, *values: Any) -> None:
        for value in values:
            sql = sql.replace("?", self.bind(value), 1)
        self.parts.append(sql)

    def bind(self, value: Any) -> str:
        """A parameter of the statement outside the WHERE clause: its placeholder."""
        self.args.append(value)
        return f"${len(self.args)}"

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "true"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """created_at filters: exact second, or open/closed bounds."""

    eq: datetime | None = None
    gt: datetime | None = None
    gte: datetime | None = None
    lt: datetime | None = None
    lte: datetime | None = None

    def apply(self, where: Where, column: str) -> None:
        if self.eq is not None:
            where.add(f"{column} >= ?::timestamptz AND {column} < ?::timestamptz + interval '1 second'",
                      self.eq, self.eq)
        for op, value in ((">", self.gt), (">=", self.gte), ("<", self.lt), ("<=", self.lte)):
            if value is not None:
                where.add(f"{column} {op} ?", value)


@dataclass(frozen=True, slots=True)
class EventFilters:
    statuses: tuple[str, ...] = ()
    search: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    visibility: tuple[str, ...] = ()
    on_sale_only: bool = False
    created: TimeRange = TimeRange()
    series_id: int | None = None
    ends_from: datetime | None = None  # on the end, or the start of an event without one
    ends_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderFilters:
    event_id: int | None = None
    statuses: tuple[str, ...] = ()
    buyer_email: str | None = None
    created: TimeRange = TimeRange()


@dataclass(frozen=True, slots=True)
class TicketFilters:
    event_id: int | None = None
    order_id: int | None = None
    barcode: str | None = None
    status: str | None = None
    email: str | None = None
    checked_in: bool | None = None
    created: TimeRange = TimeRange()


def _scoped(scope: Scope, alias: str) -> Where:
    where = Where()
    where.add(f"{alias}.box_office_id = ? AND {alias}.livemode = ?", scope.box_office_id, scope.livemode)
    return where


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def event_where(scope: Scope, f: EventFilters) -> Where:
    return event_filters(_scoped(scope, "e"), f)


def event_filters(where: Where, f: EventFilters) -> Where:
    """``f``'s conditions on events ``e`` added to ``where`` (which chooses their box office)."""
    if f.statuses:
        where.add("e.status = ANY(?::text[])", list(f.statuses))
    if f.visibility:
        where.add("e.visibility = ANY(?::text[])", list(f.visibility))
    if f.search:
        pattern = f"%{_escape_like(f.search)}%"
        where.add("(e.title ILIKE ? OR e.venue_name ILIKE ? OR e.city ILIKE ?)", pattern, pattern, pattern)
    if f.starts_from is not None:
        where.add("e.starts_at >= ?", f.starts_from)
    if f.starts_to is not None:
        where.add("e.starts_at <= ?", f.starts_to)
    if f.on_sale_only:
        where.add("e.status = 'published' AND e.starts_at > now()")
    if f.series_id is not None:
        where.add("e.series_id = ?", f.series_id)
    if f.ends_from is not None:
        where.add("coalesce(e.ends_at, e.starts_at) >= ?", f.ends_from)
    if f.ends_to is not None:
        where.add("coalesce(e.ends_at, e.starts_at) <= ?", f.ends_to)
    f.created.apply(where, "e.created_at")
    return where


def order_where(scope: Scope, f: OrderFilters) -> Where:
    where = _scoped(scope, "o")
    if f.event_id is not None:
        where.add("o.event_id = ?", f.event_id)
    if f.statuses:
        where.add("o.status = ANY(?::text[])", list(f.statuses))
    if f.buyer_email is not None:
        where.add("o.buyer_email = ?", f.buyer_email)
    f.created.apply(where, "o.created_at")
    return where


def ticket_where(scope: Scope, f: TicketFilters) -> Where:
    where = _scoped(scope, "t")
    for column, value in (("event_id", f.event_id), ("order_id", f.order_id), ("barcode", f.barcode),
                          ("status", f.status)):
        if value is not None:
            where.add(f"t.{column} = ?", value)
    if f.email is not None:
        where.add("lower(t.email) = lower(?)", f.email)
    if f.checked_in is not None:
        where.add("t.checked_in_at IS NOT NULL" if f.checked_in else "t.checked_in_at IS NULL")
    f.created.apply(where, "t.created_at")
    return where


def _limit(limit: int) -> str:
    """``LIMIT n+1`` (the extra row tells whether more follow), written into the statement.

    A bound LIMIT leaves PostgreSQL guessing the row count when it weighs its generic plan, so it
    plans every execution anew; written in, the prepared statement keeps one plan (measured:
    a 100-row page 0.57 -> 0.38-0.47 ms, a cursor page 0.77 -> 0.45 ms). Limits are small integers
    (dialects cap them at 100), so a statement per limit is a handful of statements.
    """
    return f"LIMIT {int(limit) + 1}"


async def page(conn: asyncpg.Connection, columns: str, source: Source, where: Where, query: PageQuery,
               head: Sequence[Field] = ()) -> Page:
    """One keyset page, newest first, whichever direction it was asked in, in one statement.

    ``columns`` must include ``keyset_columns(source.alias)`` (the rows' positions). The page's
    rows are chosen first, in a CTE named like the source's alias, and only they are projected
    and joined: PostgreSQL evaluates a select list for every row a LIMIT ... OFFSET skips, which
    made page 100 of a projected list seven times slower than page 1; the children's joins
    (core.reads) are lateral subqueries per chosen row, each an index range. ``head``
    columns (name, SQL on ``where``'s parameters: a total, whether a parent exists) are read once
    by the same statement, empty page or not, and returned as ``Page.head``.
    """
    alias = source.alias
    where = Where(list(where.parts), list(where.args))
    backwards = query.before is not None
    anchor = query.before or query.after
    if anchor is not None:
        op = ">" if backwards else "<"
        where.add(f"({alias}.created_at, {alias}.id) {op} (?, ?)", anchor.created_at, anchor.id)
    direction = "ASC" if backwards else "DESC"
    order = f"ORDER BY {alias}.created_at {direction}, {alias}.id {direction}"
    chosen = f"SELECT * FROM {source.table} {alias} WHERE {where.sql()} {order} {_limit(query.limit)}"
    if query.offset:
        chosen += f" OFFSET {where.bind(query.offset)}"
    sql = f"WITH {alias} AS ({chosen}) SELECT {columns} FROM {alias}{source.joins} {order}"
    rows, values = await _headed(conn, sql, head, direction, where.args)
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    if backwards:
        rows.reverse()
    return Page(rows, has_more, values)


async def _headed(conn: asyncpg.Connection, sql: str, head: Sequence[Field], direction: str, args: list[Any]
                  ) -> tuple[list[asyncpg.Record], dict[str, Any]]:
    """The page's rows and the head's values: the head is a one-row subquery the page is
    left-joined to, so an empty page still answers it (one row of NULL page columns)."""
    if not head:
        return await conn.fetch(sql, *args), {}
    values = ", ".join(f'{expression} AS "{name}"' for name, expression in head)
    names = ", ".join(f'h."{name}"' for name, _ in head)
    sql = (f"SELECT p.*, {names} FROM (SELECT {values}) h LEFT JOIN ({sql}) p ON true"
           f' ORDER BY p."{KEY_AT}" {direction}, p."{KEY_ID}" {direction}')
    rows = await conn.fetch(sql, *args)
    first = rows[0]
    return (rows if first[KEY_ID] is not None else []), {name: first[name] for name, _ in head}


def exists(table: str, where: Where, scope: Scope, object_id: int) -> Field:
    """A head column ``_found``: whether the scope has the object ``object_id`` of ``table`` (the
    parameters are bound to ``where``, whose statement reads it)."""
    return "_found", f"EXISTS {_position(table, where, scope, object_id)}"


def _position(table: str, where: Where, scope: Scope, object_id: int) -> str:
    return (f"(SELECT x.created_at, x.id FROM {table} x WHERE x.id = {where.bind(object_id)}"
            f" AND x.box_office_id = {where.bind(scope.box_office_id)} AND x.livemode = {where.bind(scope.livemode)})")


@dataclass(slots=True)
class AnchoredPage(Page):
    """A page next to one object of the list, read in one statement with that object's position."""

    found: bool = True  # False: the object is not the scope's (the page is then empty)
    beyond: bool = False  # rows exist on the object's side of the page (the way back)


async def page_next_to(
    conn: asyncpg.Connection, columns: str, source: Source, where: Where, scope: Scope, object_id: int,
    limit: int, *, before: bool, head: Sequence[Field] = (),
) -> AnchoredPage:
    """The page of rows older (newer, with ``before``) than one of the scope's objects.

    One statement reads the object's position (a subquery PostgreSQL runs once, feeding the
    index range), the page, and as its head whether the object is the scope's and whether rows
    lie on the object's own side (so a list can tell whether a link back leads anywhere): a
    cursor page costs one round trip, empty or not. ``head``: more head columns, as ``page``'s.
    """
    a = source.alias
    order, op, back, back_order = ("ASC", ">", "<=", "DESC") if before else ("DESC", "<", ">=", "ASC")
    # unfiltered (the scope's rows only), the object itself is on its own side: the way back
    # leads somewhere exactly when the object is found, and the statement need not look
    unfiltered = where.parts == _scoped(scope, a).parts and where.args == [scope.box_office_id, scope.livemode]
    where = Where(list(where.parts), list(where.args))
    filters = where.sql()
    position = _position(source.table, where, scope, object_id)
    sorted_ = f"ORDER BY {a}.created_at {order}, {a}.id {order}"
    sql = (f"WITH {a} AS (SELECT {a}.* FROM {source.table} {a}"
           f" WHERE {filters} AND ({a}.created_at, {a}.id) {op} {position} {sorted_} {_limit(limit)})"
           f" SELECT {columns} FROM {a}{source.joins} {sorted_}")
    heads = (*head, ("_found", f"EXISTS {position}"))
    if not unfiltered:
        # a scalar subquery in index order, not EXISTS: PostgreSQL drops an EXISTS's ORDER BY and
        # may then scan the table from its start for the first row on the far side of a recent object
        heads += (("_beyond", f"(SELECT true FROM {source.table} {a} WHERE {filters} AND ({a}.created_at, {a}.id)"
                              f" {back} {position} ORDER BY {a}.created_at {back_order}, {a}.id {back_order}"
                              f" LIMIT 1)"),)
    rows, values = await _headed(conn, sql, heads, order, where.args)
    has_more = len(rows) > limit
    rows = rows[:limit]
    if before:
        rows.reverse()
    found = bool(values["_found"])
    return AnchoredPage(rows, has_more, values, found=found, beyond=found if unfiltered else bool(values["_beyond"]))


Connection: TypeAlias = asyncpg.Connection


async def list_events(conn: Connection, columns: str, scope: Scope, f: EventFilters, q: PageQuery) -> Page:
    return await page(conn, columns, EVENTS, event_where(scope, f), q)


async def list_orders(conn: Connection, columns: str, scope: Scope, f: OrderFilters, q: PageQuery) -> Page:
    return await page(conn, columns, ORDERS, order_where(scope, f), q)


async def list_tickets(conn: Connection, columns: str, scope: Scope, f: TicketFilters, q: PageQuery) -> Page:
    return await page(conn, columns, TICKETS, ticket_where(scope, f), q)
