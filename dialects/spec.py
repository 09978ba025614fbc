"""Vendor facts declared once: each wire object and enum is one table, from which the
projection (SQL select list), the OpenAPI schema and the client's parser are all derived.

The anchor is moto's spec-driven serializers: a field added to a ``WireObject`` appears in the
rows PostgreSQL renders, in the document's schema and in what ``client.py`` reads back, or
``check`` names the one that is missing.

- ``WireEnum``: the core value -> wire value map of one vendor enum (``sql`` renders it,
  ``schema`` documents it, ``parse`` reads it back into core).
- ``Field``: one wire field: its name, the SQL that renders it (``None`` when Python fills it:
  nested children, values that depend on a group of rows), its JSON Schema, and the core field
  a client parser maps it to (``core``, with ``parse`` to convert the wire value).
- ``WireObject``: the fields of one object in the vendor's order, plus hidden columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from core.projection import Projection, sql_case
from dialects.schema import Schema, nullable, obj

Parser = Callable[[Any], Any]


def utc_seconds(value: Any) -> str | None:
    """A ``Field.parse`` for wire times: any ISO-8601 text as core compares times, UTC to the
    second with ``Z`` (a naive time is read as UTC); None stays None, a non-time is kept as sent
    so a comparison shows it."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class WireEnum:
    """A vendor enum over a core enum. ``to_wire`` is the one source; lossy maps (several core
    values to one wire value) declare how the wire value reads back in ``from_wire``."""

    to_wire: Mapping[str, str]
    from_wire: Mapping[str, str] | None = None
    extra: tuple[str, ...] = ()  # wire values core derives elsewhere (documented, not mapped)

    @cached_property
    def reverse(self) -> dict[str, str]:
        if self.from_wire is not None:
            return dict(self.from_wire)
        reverse: dict[str, str] = {}
        for core, wire in self.to_wire.items():
            reverse.setdefault(wire, core)  # the first core value listed for a wire value wins
        return reverse

    @property
    def values(self) -> list[str]:
        return list(dict.fromkeys([*self.to_wire.values(), *self.extra]))

    def sql(self, expression: str, default: str = "NULL") -> str:
        return sql_case(expression, self.to_wire, default)

    def schema(self, *, null: bool = False) -> Schema:
        schema: Schema = {"type": "string", "enum": self.values}
        return nullable(schema) if null else schema

    def wire(self, core: str) -> str:
        return self.to_wire[core]

    def parse(self, wire: Any) -> Any:
        """The core value of a wire value; an unknown value passes through for core to refuse."""
        return self.reverse.get(wire, wire) if isinstance(wire, str) else wire


@dataclass(frozen=True)
class Field:
    name: str
    sql: str | None  # None: Python fills it after the row is read
    schema: Schema
    core: str | None = None  # the core field a client parser maps the wire value to
    parse: Parser | None = None  # wire value -> core value (default: as is)


@dataclass(frozen=True)
class WireObject:
    name: str
    fields: tuple[Field, ...]
    hidden: tuple[tuple[str, str], ...] = ()  # (name, SQL) read with the row, never sent
    required: tuple[str, ...] | None = None  # None: every field is always present
    closed: bool = True
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"{self.name}: fields declared twice: {sorted(duplicates)}")
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    @cached_property
    def projection(self) -> Projection:
        """The SQL-rendered fields, in the vendor's order, with the hidden columns after them."""
        return Projection(tuple((f.name, f.sql) for f in self.fields if f.sql is not None), self.hidden)

    @property
    def columns(self) -> str:
        return self.projection.columns

    def objects(self, rows: Iterable[Any]) -> list[dict[str, Any]]:
        return self.projection.objects(rows)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def schema(self) -> Schema:
        required = list(self.required) if self.required is not None else None
        return obj({f.name: f.schema for f in self.fields}, required, closed=self.closed)

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def parse(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The core fields a client reads from one wire object (fields without ``core`` are skipped)."""
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.core is None or f.name not in data:
                continue
            value = data[f.name]
            out[f.core] = f.parse(value) if f.parse is not None and value is not None else value
        return out


def check(obj_: WireObject, rendered: Mapping[str, Any]) -> list[str]:
    """What differs between an object as served and its declaration: missing and extra fields."""
    declared = set(obj_.names)
    problems = [f"{obj_.name}.{name}: declared but not served" for name in obj_.names
                if name not in rendered and (obj_.required is None or name in obj_.required)]
    problems += [f"{obj_.name}.{name}: served but not declared" for name in rendered if name not in declared]
    return problems
