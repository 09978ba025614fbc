"""One database round trip per read: an object or a page, its children and its flags in one statement.

A dialect describes what one GET returns as a ``Shape``: the parent's projection (its wire
fields in the vendor's order, core.projection) and its ``Child`` arrays. Each child is a
lateral subquery that aggregates the children of one parent row into a JSON array,
``coalesce(json_agg(json_build_object('id', ..., 'name', ...) ORDER BY ...), '[]')``, built
from the child's own projection (``json_build_object`` keeps the keys in the order given,
``row_to_json`` or ``jsonb`` would not), and fills the parent's placeholder field in place,
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
cursor's object exists) as ``head`` columns of the same statement. Measured and chosen
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
ITEMS = "items"  # the column of a child's lateral subquery that holds its JSON array


@dataclass(frozen=True)
class Child:
    """The rows of ``table`` that belong to one parent row, as one JSON array of wire objects."""

    field: str  # the parent's placeholder field the array fills
    projection: Projection  # the child's wire fields (its hidden columns are not sent)
    table: str  # the child table with its alias: "ticket_types tt"
    link: str  # the condition on the parent's row: "tt.event_id = e.id"
    order: str  # each parent's children in this order: "tt.sort_order, tt.id"
    where: str = ""  # further conditions on the children (the public ticket types only)
    aggregates: tuple[Field, ...] = ()  # (hidden name, aggregate over the same rows), per parent

    def __post_init__(self) -> None:
        if len(self.projection.fields) > 50:  # json_build_object takes at most 100 arguments
            raise ValueError(f"{self.field}: a child object has at most 50 fields")

    @cached_property
    def json(self) -> str:
        pairs = ", ".join(f"{sql_text(name)}, {sql}" for name, sql in self.projection.fields)
        return f"json_build_object({pairs})"

    def join(self, alias: str) -> str:
        """The lateral subquery: always one row per parent (an aggregate without GROUP BY)."""
        columns = [f"coalesce(json_agg({self.json} ORDER BY {self.order}), '[]'::json) AS {ITEMS}",
                   *(f'{sql} AS "{name}"' for name, sql in self.aggregates)]
        condition = f"{self.link} AND ({self.where})" if self.where else self.link
        return f" CROSS JOIN LATERAL (SELECT {', '.join(columns)} FROM {self.table} WHERE {condition}) {alias}"


@dataclass(frozen=True)
class Shape:
    """A parent projection with its children, read together."""

    parent: Projection
    children: tuple[Child, ...] = ()
    hidden: tuple[Field, ...] = ()  # more hidden columns (a box office flag, a parent's raw value)
    raw: str = ""  # columns read as they are, before the projection's (rows Python renders by name)
    columns: str = field(init=False)
    joins: str = field(init=False)

    def __post_init__(self) -> None:
        aliases = {child.field: f"c{n}" for n, child in enumerate(self.children)}
        names = {name for name, _ in self.parent.fields}
        missing = set(aliases) - names
        if missing:
            raise ValueError(f"children fill no field of the parent: {sorted(missing)}")
        fields = tuple((name, f"{aliases[name]}.{ITEMS}" if name in aliases else sql)
                       for name, sql in self.parent.fields)
        aggregates = tuple((name, f'{aliases[c.field]}."{name}"') for c in self.children for name, _ in c.aggregates)
        projection = Projection(fields, (*self.parent.hidden, *aggregates, *self.hidden))
        columns = ", ".join(part for part in (self.raw, projection.columns) if part)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "joins", "".join(c.join(aliases[c.field]) for c in self.children))

    def objects(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return self.parent.objects(rows)

    def bind(self, where: Where, source: Source, **values: Any) -> tuple[str, Source]:
        """The select list and the source (with the children's joins) for one statement, with the
        tokens they use bound to ``where``'s next parameters (``now=``, ``box_office=``)."""
        columns, joins = self.columns, source.joins + self.joins
        for token in TOKENS:
            if token in columns or token in joins:
                placeholder = where.bind(values[token[1:]])
                columns, joins = columns.replace(token, placeholder), joins.replace(token, placeholder)
        return columns, dataclasses.replace(source, joins=joins)


def scoped_where(scope: Scope, alias: str, object_id: int) -> Where:
    where = Where()
    where.add(f"{alias}.id = ? AND {alias}.box_office_id = ? AND {alias}.livemode = ?",
              object_id, scope.box_office_id, scope.livemode)
    return where


async def one(conn: asyncpg.Connection, columns: str, source: Source, where: Where) -> asyncpg.Record | None:
    """The row ``where`` selects (one object), through bound columns."""
    return await conn.fetchrow(f"SELECT {columns} FROM {source.tables} WHERE {where.sql()}", *where.args)


async def read_one(conn: asyncpg.Connection, shape: Shape, source: Source, scope: Scope, object_id: int,
                   **values: Any) -> asyncpg.Record:
    """One of the scope's objects with its children, or NotFound (the source's kind and message)."""
    where = scoped_where(scope, source.alias, object_id)
    columns, bound = shape.bind(where, source, **values)
    row = await one(conn, columns, bound, where)
    if row is None:
        raise NotFound(source.kind, source.missing)
    return row


async def page(conn: asyncpg.Connection, shape: Shape, source: Source, where: Where, query: PageQuery,
               head: Sequence[Field] = (), **values: Any) -> Page:
    """core.listing.page through a shape: the page, its children and its head in one statement."""
    columns, bound = shape.bind(where, source, **values)
    return await listing.page(conn, columns, bound, where, query, head)


async def page_next_to(conn: asyncpg.Connection, shape: Shape, source: Source, where: Where, scope: Scope,
                       object_id: int, limit: int, *, before: bool, **values: Any) -> AnchoredPage:
    """core.listing.page_next_to through a shape (a cursor page, found or not, in one statement)."""
    columns, bound = shape.bind(where, source, **values)
    return await listing.page_next_to(conn, columns, bound, where, scope, object_id, limit, before=before)
