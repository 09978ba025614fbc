"""Creating or patching an event in one statement: the write, its ticket types, the response row and,
for a request with an Idempotency-Key, the key's record with that response (issue 18).

A request's writes used to be several transactions of several statements each (claim the key,
create the event, insert each type, read the event back, store the response): each commit
waits for the WAL, and each statement is a round trip. Here they are one statement of
data-modifying CTEs, run outside any explicit transaction (PostgreSQL commits it once, as a
whole or not at all):

- ``written``: the event inserted (``ON CONFLICT`` on its slug ``DO NOTHING``) or updated, its
  fields from one JSON parameter (``json_populate_record`` types them by the table's own row);
- ``new_types``: its new ticket types, from one JSON array, inserted in the array's order;
- the response row: the caller's ``Shape`` read from those CTEs (a CTE's rows are visible only
  through its RETURNING, so a patched event's ticket types are read from ``ticket_types`` and
  ``new_types`` together: ``written_shape``; a created event's from ``new_types`` alone:
  ``created_shape``);
- with a key (``Keyed``), ``kept``: the key's record, inserted ``done`` with that response as
  JSON (``row_to_json``, built once: the statement answers with ``kept``'s RETURNING), so a
  replay answers it without the request running again; and, when the key already has a live
  record, that record instead (the same statement answers a replay).

These functions answer only the ordinary case, and return None for anything else, with nothing
written: the slug is taken, the key's record has expired, the event is not the scope's, its times
would be out of order. The caller then runs its general path (core.events, core.idempotency),
which answers those cases with their own errors. Two requests racing with one key both insert;
the second's ``kept`` waits on the key's unique index for the first's commit and fails with a
unique violation, which undoes the whole of its statement (``KeyTaken``): its caller then finds
the first's record and replays it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import idempotency
from core.events import TICKET_TYPE_COLUMNS, event_fields
from core.listing import Source, Where
from core.models import EventCreate, Scope, TicketTypeCreate
from core.reads import Shape
from core.slugs import slugify

WRITTEN = Source("written", "e", "event", "Event not found")  # the row the statement wrote, as "e"
TYPES = "(SELECT * FROM ticket_types UNION ALL SELECT * FROM new_types) tt"  # old and new ones
NEW_TYPES = "new_types tt"  # a created event's: only the new ones
TIMES = ("starts_at", "ends_at", "doors_open_at")
KEY_CONSTRAINT = "idempotency_keys_pkey"


class KeyTaken(Exception):
    """Another request with the same key committed first (its record now answers this one)."""


@dataclass(frozen=True, slots=True)
class Keyed:
    """The Idempotency-Key record to write with the event, and the response it answers with."""

    key: str
    fingerprint: bytes
    now: datetime
    expires_at: datetime
    stale_before: datetime  # a running claim older than this belongs to a dead request
    status: int
    headers: dict[str, str]


@functools.cache  # a shape's bound statements are kept on the shape: one written shape per shape
def written_shape(shape: Shape, types: str = TYPES) -> Shape:
    """``shape`` reading its ticket types from ``types``: by default the table and this statement's
    new ones (a patched event has both)."""
    children = tuple(dataclasses.replace(c, table=types) if c.key == "tt.event_id" else c for c in shape.children)
    return Shape(shape.parent, children, shape.hidden, shape.raw)


def created_shape(shape: Shape) -> Shape:
    """``shape`` reading its ticket types from this statement's new ones only: a created event has
    no others (its id is new, and the table as the statement sees it predates the insert), so the
    table's index need not be searched for it."""
    return written_shape(shape, NEW_TYPES)


def insertable(types: list[TicketTypeCreate]) -> bool:
    """Whether the one statement can write these types (a ticket group must first be checked to be
    the event's own, which core.events does)."""
    return all(t.group_id is None for t in types)


def _types_json(types: list[TicketTypeCreate]) -> list[dict[str, Any]]:
    return [{c: getattr(t, c) for c in TICKET_TYPE_COLUMNS} for t in types]


def _new_types(where: Where, types: list[TicketTypeCreate]) -> str:
    return _new_types_from(where.bind(_types_json(types)))


def _new_types_from(types: str) -> str:
    """The ``new_types`` CTE, its rows from the JSON array parameter ``types`` (a placeholder)."""
    columns = ", ".join(TICKET_TYPE_COLUMNS)
    picked = ", ".join(f"t.{c}" for c in TICKET_TYPE_COLUMNS)
    return (f"new_types AS (INSERT INTO ticket_types (event_id, {columns}) SELECT e.id, {picked} FROM written e,"
            f" json_populate_recordset(NULL::ticket_types, {types}::json)"
            " WITH ORDINALITY t ORDER BY t.ordinality RETURNING *)")


def _insert_event(where: Where, scope: Scope, data: EventCreate) -> str:
    values = {c: getattr(data, c) for c in event_fields(type(data)) if c != "slug"}
    office, mode = where.bind(scope.box_office_id), where.bind(scope.livemode)
    fields = [c for c in values if c != "currency"]
    picked = ", ".join(f"r.{c}" for c in fields)
    slug = where.bind(data.slug or slugify(data.title))  # a title's slug taken: None, core.events finds a free one
    return (f"written AS (INSERT INTO events (box_office_id, livemode, {', '.join(fields)}, currency, slug)"
            f" SELECT {office}, {mode}, {picked}, coalesce(r.currency, b.currency), {slug}"
            f" FROM json_populate_record(NULL::events, {where.bind(values)}::json) r"
            f" JOIN box_offices b ON b.id = {office}"
            " ON CONFLICT (box_office_id, livemode, slug) DO NOTHING RETURNING *)")


@dataclass(frozen=True)
class KeyParams:
    """The placeholders of a keyed statement's key values, each bound once however often the text
    uses it (in ``Keyed``'s order, after the box office and mode)."""

    office: str
    mode: str
    key: str
    fingerprint: str
    now: str
    expires_at: str
    status: str
    headers: str
    stale_before: str

    @classmethod
    def bind(cls, where: Where, scope: Scope, keyed: Keyed) -> KeyParams:
        return cls(*(where.bind(v) for v in cls.values(scope, keyed)))

    @staticmethod
    def values(scope: Scope, keyed: Keyed) -> tuple[Any, ...]:
        """The key values in the fields' order (a statement built once binds them as $1 to $9)."""
        return (scope.box_office_id, scope.livemode, keyed.key, keyed.fingerprint, keyed.now, keyed.expires_at,
                keyed.status, keyed.headers, keyed.stale_before)


KEY_PARAMS = KeyParams(*(f"${n}" for n in range(1, 10)))  # a statement built once binds the key values first


def _unkeyed(k: KeyParams) -> str:
    """The key has no record yet (in this statement's snapshot: a concurrent one is caught by ``kept``)."""
    return (f"NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.box_office_id = {k.office}"
            f" AND k.livemode = {k.mode} AND k.key = {k.key})")


def _reply(where: Where, shape: Shape, values: dict[str, Any], source: Source = WRITTEN) -> str:
    columns, bound = written_shape(shape).bind(where, source, **values)
    return f"SELECT {columns} FROM {bound.tables}"


def _keyed_sql(writes: str, reply: str, k: KeyParams) -> str:
    """``writes`` (CTEs) and their ``reply``, stored as the key's record (``kept``: the reply's JSON
    built once, answered from its RETURNING); or, when the key has a live record, that record."""
    kept = ("kept AS (INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, created_at,"
            " expires_at, response_status, state, response_headers, response_json)"
            f" SELECT {k.office}, {k.mode}, {k.key}, {k.fingerprint}, {k.now}, {k.expires_at}, {k.status}, 'done',"
            f" {k.headers}::jsonb, row_to_json(reply) FROM reply RETURNING response_json)")
    return (f"WITH {writes}, reply AS ({reply}), {kept}"
            " SELECT kept.response_json AS created, NULL::bytea AS fingerprint, NULL::text AS state,"
            " NULL::integer AS response_status, NULL::jsonb AS response_headers, NULL::bytea AS response_body,"
            f" NULL::json AS response_json FROM kept UNION ALL {_prior(k)}")


async def create_event(conn: asyncpg.Connection, scope: Scope, data: EventCreate, shape: Shape,
                       **values: Any) -> asyncpg.Record | None:
    """The new event as ``shape`` reads it (its types too), or None (its slug is taken)."""
    where = Where()
    sql = (f"WITH {_insert_event(where, scope, data)}, {_new_types(where, data.ticket_types)}"
           f" {_reply(where, shape, values)}")
    return await conn.fetchrow(sql, *where.args)


def _prior(k: KeyParams) -> str:
    """The key's live record, as the statement found it (core.idempotency.claim's reading of it:
    an expired record, or a claim abandoned running, is not live)."""
    return ("SELECT NULL, k.fingerprint, k.state, k.response_status, k.response_headers, k.response_body,"
            f" k.response_json FROM idempotency_keys k WHERE k.box_office_id = {k.office} AND k.livemode = {k.mode}"
            f" AND k.key = {k.key} AND k.expires_at > {k.now}"
            f" AND NOT (k.state = 'running' AND k.created_at <= {k.stale_before})")


async def create_event_keyed(conn: asyncpg.Connection, scope: Scope, data: EventCreate, shape: Shape,
                             keyed: Keyed, **values: Any) -> Any:
    """The new event as ``shape`` reads it, as a JSON object (a dict), stored as ``keyed``'s response;
    or the key's live record judged (core.idempotency.Claim: a replay, a mismatch, still running);
    or None (no live record, nothing written: a taken slug, an expired record). ``shape``'s
    columns are the whole response: no hidden ones. KeyTaken: a request with the key committed first.

    The statement's text depends only on the model, the shape and the names of ``values``: it is
    built once (``_create_keyed_statement``; building it cost about 50 us a request, a tenth of the
    request's CPU) and each request binds its values in the statement's fixed order."""
    sql, fields, tokens = _create_keyed_statement(type(data), shape, tuple(sorted(values)))
    # a title's slug taken: None, and core.events finds a free one
    args = (*KeyParams.values(scope, keyed), data.slug or slugify(data.title), _types_json(data.ticket_types),
            *(getattr(data, c) for c in fields), *(values[t] for t in tokens))
    return await _run_keyed(conn, sql, args, keyed)


# create_event_keyed's fixed parameters: the key's ($1-$9, KEY_PARAMS), then the slug and the ticket types;
# the event's fields follow, one parameter each, then the shape's tokens
CREATE_KEYED_PARAMS = (*KeyParams.__dataclass_fields__, "slug", "types")


@functools.cache
def _create_keyed_statement(model: type[EventCreate], shape: Shape, names: tuple[str, ...]
                            ) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """create_event_keyed's text, the event fields it binds after CREATE_KEYED_PARAMS, and the names of
    the shape's values it binds after those.

    The statement ``_insert_event`` would write, wrapped by ``_keyed_sql``, but for two things: the response's
    ticket types are read from ``new_types`` alone (``created_shape``), and the event's fields are
    parameters of their own, which PostgreSQL types by the columns they are inserted into (parsing
    them from one JSON parameter with ``json_populate_record`` cost the server about 35 us)."""
    k, slug, types = KEY_PARAMS, f"${len(CREATE_KEYED_PARAMS) - 1}", f"${len(CREATE_KEYED_PARAMS)}"
    fields = tuple(c for c in event_fields(model) if c != "slug")
    f = {c: f"${n}" for n, c in enumerate(fields, len(CREATE_KEYED_PARAMS) + 1)}
    picked = [c for c in fields if c != "currency"]
    written = (f"written AS (INSERT INTO events (box_office_id, livemode, {', '.join(picked)}, currency, slug)"
               f" SELECT {k.office}, {k.mode}, {', '.join(f[c] for c in picked)},"
               f" coalesce({f['currency']}, b.currency), {slug} FROM box_offices b"
               f" WHERE b.id = {k.office} AND {_unkeyed(k)}"
               " ON CONFLICT (box_office_id, livemode, slug) DO NOTHING RETURNING *)")
    start = len(CREATE_KEYED_PARAMS) + len(f)
    where = Where(args=[None] * start)  # the shape's tokens are numbered after the rest
    named: dict[str, Any] = {name: name for name in names}  # bound by name: where.args then names them in order
    reply_columns, bound = created_shape(shape).bind(where, WRITTEN, **named)
    sql = _keyed_sql(f"{written}, {_new_types_from(types)}", f"SELECT {reply_columns} FROM {bound.tables}", k)
    return sql, fields, tuple(where.args[start:])


async def add_ticket_type_keyed(conn: asyncpg.Connection, scope: Scope, event_id: int, currency: str | None,
                                data: TicketTypeCreate, shape: Shape, keyed: Keyed) -> Any:
    """A new ticket type of the scope's event ``event_id`` (locked, as core.events.add_ticket_type
    locks it) as ``shape`` reads it (the type ``tt``, its event ``e``), like create_event_keyed; None
    also when the event is not the scope's or its currency is not ``currency`` (None: any)."""
    where = Where()
    k = KeyParams.bind(where, scope, keyed)
    named = where.bind(currency)
    event = (f"written AS (SELECT x.* FROM events x WHERE x.id = {where.bind(event_id)}"
             f" AND x.box_office_id = {k.office} AND x.livemode = {k.mode}"
             f" AND ({named}::text IS NULL OR x.currency = {named})"
             f" AND {_unkeyed(k)} FOR UPDATE)")
    added = Source("new_types", "tt", "ticket_type", "Ticket type not found", " JOIN written e ON e.id = tt.event_id")
    writes = f"{event}, {_new_types(where, [data])}"
    sql = _keyed_sql(writes, _reply(where, shape, {}, added), k)
    return await _run_keyed(conn, sql, where.args, keyed)


async def _run_keyed(conn: asyncpg.Connection, sql: str, args: Sequence[Any], keyed: Keyed) -> Any:
    """The keyed statement's answer: its created response, the key's live record judged, or None."""
    try:
        row = await conn.fetchrow(sql, *args)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == KEY_CONSTRAINT:
            raise KeyTaken() from None
        raise
    if row is None:
        return None
    return row["created"] if row["created"] is not None else idempotency.judge(row, keyed.fingerprint)


def _times_in_order(where: Where, changes: dict[str, Any]) -> str:
    """core.models.check_event_times over the row the changes make (None passes, as there)."""
    starts, ends, doors = (f"{where.bind(changes[c])}::timestamptz" if c in changes else f"x.{c}" for c in TIMES)
    return f"({ends} IS NULL OR {ends} >= {starts}) AND ({doors} IS NULL OR {doors} <= {starts})"


def _update_event(where: Where, target: str, changes: dict[str, Any]) -> str:
    """The event the ``target`` condition (over ``x``) names, locked, with ``changes`` written."""
    if not changes:
        return f"written AS (SELECT x.* FROM events x WHERE {target} FOR UPDATE)"
    assignments = ", ".join(f"{c} = {where.bind(v)}" for c, v in changes.items())
    times = _times_in_order(where, changes) if set(changes) & set(TIMES) else "true"
    return (f"written AS (UPDATE events x SET {assignments}, updated_at = now() WHERE {target} AND {times}"
            " RETURNING x.*)")


async def patch_event(conn: asyncpg.Connection, scope: Scope, number: int | None, slug: str | None,
                      changes: dict[str, Any], added: list[TicketTypeCreate], shape: Shape,
                      **values: Any) -> asyncpg.Record | None:
    """The event with id ``number`` (else slug ``slug``) in the scope, with ``changes`` (column ->
    value) and the ``added`` types written, as ``shape`` reads it; None when it is not the scope's
    or its times would be out of order. A slug already in use raises UniqueViolationError."""
    where = Where()
    office, mode = where.bind(scope.box_office_id), where.bind(scope.livemode)
    scoped = f"y.box_office_id = {office} AND y.livemode = {mode}"
    # an id that names an event wins over another event's slug that reads the same (as GET finds it)
    target = (f"x.id = coalesce((SELECT y.id FROM events y WHERE y.id = {where.bind(number)}::bigint AND {scoped}),"
              f" (SELECT y.id FROM events y WHERE y.slug = {where.bind(slug)} AND {scoped}))")
    sql = f"WITH {_update_event(where, target, changes)}, {_new_types(where, added)} {_reply(where, shape, values)}"
    return await conn.fetchrow(sql, *where.args)
