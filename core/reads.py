"""One database round trip per read: an object or a page, its children and its flags in one statement.

A dialect describes what one GET returns as a ``Shape``: the parent's projection (its wire
fields in the vendor's order, core.projection) and its ``Child`` arrays. Each child is a
lateral subquery (per row of one object or of a page's CTE) that aggregates the children of
each parent row into a JSON array,
``coalesce(json_agg(json_build_object('id', ..., 'name', ...) ORDER BY ...), '[]')``, built
from the child's own projection (``json_build_object`` keeps the keys in the order given;
``jsonb`` would sort them), and fills the parent's placeholder field in place,
so the row's dict keeps the vendor's field order. The pool decodes ``json`` with orjson
(core.db), so a child arrives as the list of dicts Python built before: integers stay
integers, NULLs stay None, and what a projection renders as text stays that text. Per-parent
figures over the same child rows (``bool_or``, ``sum``...) come as hidden columns next to the
array (``Child.aggregates``), so nothing reads the children twice.

Projections may name request values by token instead of a ``$n`` placeholder, since a
statement numbers its own parameters: ``NOW`` (the clock's time) and ``BOX_OFFICE`` (the
caller's box office). ``Shape.bind`` binds the tokens the statement uses to the ``Where``
and returns the select list and the source to read.

The page functions in core.listing take the bound columns and source as they are, and read
values that a page must return even when it is empty (the total, whether a parent or a
cursor's object exists) as ``head`` columns of the same statement. A new GET declares its
``Shape`` beside its wire objects (the dialect's serializers.py) and reads it with
``read_one``, ``page`` or ``page_next_to``; tests/gateway/test_round_trips.py holds it to one
statement from the route table. Measured and chosen
(docs/performance.md, "One round trip per GET"): children decoded by orjson from
PostgreSQL's JSON, rather than passed through as ``orjson.Fragment`` (PostgreSQL writes
``{"a" : 1}`` with spaces, so the bytes on the wire would change).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import asyncpg

from core import listing
from core.errors import NotFound
from core.listing import AnchoredPage, Page, PageQuery, Source, Where
from core.models import Scope
from core.projection import Field, Projection, sql_text

NOW = "$now"  # the clock's time (timestamptz), bound once per statement
BOX_OFFICE = "$box_office"  # the caller's box office id
TOKENS = (NOW, BOX_OFFICE)
ITEMS = "items"  # the column of a child's subquery that holds its JSON array


Aggregate = tuple[str, str, str]  # (hidden name, aggregate over a parent's children, its value for none)


@dataclass(frozen=True)
class Child:
    """The rows of ``table`` that belong to one parent row, as one JSON array of wire objects."""

    field: str  # the parent's placeholder field the array fills
    projection: Projection  # the child's wire fields (its hidden columns are not sent)
    table: str  # the child table with its alias: "ticket_types tt"
    key: str  # the child's column holding its parent's id: "tt.event_id"
    order: str  # each parent's children in this order: "tt.sort_order, tt.id"
    where: str = ""  # further conditions on the children (the public ticket types only)
    aggregates: tuple[Aggregate, ...] = ()  # per-parent figures over the same rows, as hidden columns

    def __post_init__(self) -> None:
        if len(self.projection.fields) > 50:  # json_build_object takes at most 100 arguments
            raise ValueError(f"{self.field}: a child object has at most 50 fields")

    @cached_property
    def _select(self) -> str:
        json = "json_build_object(" + ", ".join(f"{sql_text(n)}, {sql}" for n, sql in self.projection.fields) + ")"
        return ", ".join([f"json_agg({json} ORDER BY {self.order}) AS {ITEMS}",
                          *(f'{sql} AS "{name}"' for name, sql, _ in self.aggregates)])

    def columns(self, alias: str) -> tuple[str, tuple[Field, ...]]:
        """The parent's field and hidden columns that read this child's join ``alias``."""
        empty = tuple((name, f'coalesce({alias}."{name}", {none})') for name, _, none in self.aggregates)
        return f"coalesce({alias}.{ITEMS}, '[]'::json)", empty

    def join(self, alias: str, parent: str) -> str:
        """The children of each row of ``parent`` (the parent's alias, ``parent.id`` its id): a
        lateral subquery, an aggregate without GROUP BY (one row, whatever the children).

        One object and a page (``parent`` is then the page's CTE, core.listing.page) alike: each
        row's children are one index range, ``key = parent.id``; PostgreSQL does not pull an
        aggregate's subquery up into a join, so the plan stays one lookup per row. A page's
        children grouped in one subquery joined to the CTE left the plan to estimates: on the
        bench's 10,000 events it chose a sequential scan of every ticket type and a hash join, and
        with the page's ids added as an array (32b26e1, reverted) a fresh, unanalyzed database
        estimated one row a side and re-ran the whole page's aggregate for every row (1 s for 100
        events of 30 types). Measured: docs/performance.md, "2026-12-04: a page's children
        through the index"."""
        condition = f"{self.key} = {parent}.id" + (f" AND ({self.where})" if self.where else "")
        return f" CROSS JOIN LATERAL (SELECT {self._select} FROM {self.table} WHERE {condition}) {alias}"


@dataclass(frozen=True)
class Shape:
    """A parent projection with its children, read together."""

    parent: Projection
    children: tuple[Child, ...] = ()
    hidden: tuple[Field, ...] = ()  # more hidden columns (a box office flag, a parent's raw value)
    raw: str = ""  # columns read as they are, before the projection's (rows Python renders by name)
    columns: str = field(init=False)
    _joins: dict[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)
    _bound: dict[tuple[Source, int], tuple[str, Source, tuple[str, ...]]] = field(
        init=False, repr=False, compare=False, default_factory=dict)
    _statements: dict[tuple[Source, str, int], tuple[str, tuple[str, ...]]] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        aliases = {child.field: f"c{n}" for n, child in enumerate(self.children)}
        names = {name for name, _ in self.parent.fields}
        missing = set(aliases) - names
        if missing:
            raise ValueError(f"children fill no field of the parent: {sorted(missing)}")
        read = {c.field: c.columns(aliases[c.field]) for c in self.children}
        fields = tuple((name, read[name][0] if name in read else sql) for name, sql in self.parent.fields)
        aggregates = tuple(column for _, figures in read.values() for column in figures)
        projection = Projection(fields, (*self.parent.hidden, *aggregates, *self.hidden))
        object.__setattr__(self, "columns", ", ".join(part for part in (self.raw, projection.columns) if part))

    def objects(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return self.parent.objects(rows)

    def joins(self, parent: str) -> str:
        joins = self._joins.get(parent)
        if joins is None:
            joins = self._joins[parent] = "".join(c.join(f"c{n}", parent) for n, c in enumerate(self.children))
        return joins

    def bind(self, where: Where, source: Source, **values: Any) -> tuple[str, Source]:
        """The select list and the source (with the children's joins) for one statement, one
        object's or core.listing's page functions', with the tokens they use bound to ``where``'s
        next parameters (``now=``, ``box_office=``)."""
        key = (source, len(where.args))  # the placeholders depend only on where they start
        bound = self._bound.get(key)
        if bound is None:
            bound = self._bound[key] = self._statement(source, len(where.args))
        columns, source_, used = bound
        for token in used:
            where.bind(values[token[1:]])
        return columns, source_

    def statement(self, source: Source, where: str, params: int) -> tuple[str, tuple[str, ...]]:
        """The whole statement reading one object of ``source`` through this shape, and the names of
        the request values its tokens take (``now``...), in order. ``where`` is a constant template
        (``{alias}`` is the source's alias) using parameters $1 to ``$params``; the tokens' follow.
        Built on the first request: a detail GET then sends the same text every time, instead of
        building it (and asyncpg hashing it for its statement cache) per request."""
        key = (source, where, params)
        statement = self._statements.get(key)
        if statement is None:
            columns, bound, used = self._statement(source, params)
            text = f"SELECT {columns} FROM {bound.tables} WHERE {where.format(alias=source.alias)}"
            statement = self._statements[key] = (text, tuple(token[1:] for token in used))
        return statement

    def _statement(self, source: Source, start: int) -> tuple[str, Source, tuple[str, ...]]:
        """The select list, the source and the tokens bound, for parameters numbered from ``start + 1``."""
        columns, joins = self.columns, source.joins + self.joins(source.alias)
        used = tuple(token for token in TOKENS if token in columns or token in joins)
        for number, token in enumerate(used, start + 1):
            columns, joins = columns.replace(token, f"${number}"), joins.replace(token, f"${number}")
        return columns, dataclasses.replace(source, joins=joins), used


SCOPED = "{alias}.id = $1 AND {alias}.box_office_id = $2 AND {alias}.livemode = $3"  # one object of a scope


async def read_one(conn: asyncpg.Connection, shape: Shape, source: Source, scope: Scope, object_id: int,
                   **values: Any) -> asyncpg.Record:
    """One of the scope's objects with its children, or NotFound (the source's kind and message)."""
    sql, names = shape.statement(source, SCOPED, 3)
    row = await conn.fetchrow(sql, object_id, scope.box_office_id, scope.livemode, *[values[n] for n in names])
    if row is None:
        raise NotFound(source.kind, source.missing)
    return row


async def page(conn: asyncpg.Connection, shape: Shape, source: Source, where: Where, query: PageQuery,
               head: Sequence[Field] = (), **values: Any) -> Page:
    """core.listing.page through a shape: the page, its children and its head in one statement."""
    columns, bound = shape.bind(where, source, **values)
    return await listing.page(conn, columns, bound, where, query, head)


async def page_next_to(conn: asyncpg.Connection, shape: Shape, source: Source, where: Where, scope: Scope,
                       object_id: int, limit: int, *, before: bool, head: Sequence[Field] = (),
                       **values: Any) -> AnchoredPage:
    """core.listing.page_next_to through a shape (a cursor page, found or not, in one statement)."""
    columns, bound = shape.bind(where, source, **values)
    return await listing.page_next_to(conn, columns, bound, where, scope, object_id, limit, before=before,
                                      head=head)
