"""Events and their ticket types: create, update, publish, cancel, and read one."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from core import scoped
from core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PaymentsNotConnected,
    SlugTaken,
    TicketTypeHasSales,
    ValidationFailed,
)
from core.ids import parse_id
from core.models import EventCreate, EventUpdate, Scope, TicketTypeCreate, TicketTypeUpdate
from core.models import check_event_times as _check_times
from core.slugs import slugify

EVENT_COLUMNS = (
    "title", "slug", "description", "starts_at", "ends_at", "doors_open_at", "timezone",
    "venue_name", "address", "postal_code", "city", "country", "online", "currency",
    "visibility", "category", "access_code", "call_to_action", "image_header", "image_thumbnail",
)
TICKET_TYPE_COLUMNS = (
    "name", "description", "price", "booking_fee", "quantity", "sale_starts_at", "sale_ends_at",
    "min_per_order", "max_per_order", "hidden", "access_code", "sort_order", "status", "group_id",
)


@functools.cache
def event_fields(model: type[EventCreate]) -> tuple[str, ...]:
    """The event columns a create model carries (read once: a model's field table costs about
    0.14 ms a look here, more than the rest of building a statement)."""
    return tuple(c for c in EVENT_COLUMNS if c in model.model_fields)


def _insert_sql(table: str, columns: list[str], extra: str = "") -> str:
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) {extra}"


async def create_event(conn: asyncpg.Connection, scope: Scope, data: EventCreate,
                       extra: Mapping[str, Any] | None = None) -> asyncpg.Record:
    """``extra``: more columns as they are (core.series: the series and an occurrence's flags)."""
    values = {c: getattr(data, c) for c in event_fields(type(data))}
    values["currency"] = data.currency or await _office_currency(conn, scope)
    values.update(extra or {})
    async with conn.transaction():
        event = await _insert_event(conn, scope, values, data.slug, data.title)
        for position, ticket_type in enumerate(data.ticket_types):
            await _insert_ticket_type(conn, event["id"], ticket_type, f"ticket_types.{position}")
    return event


async def _insert_event(
    conn: asyncpg.Connection, scope: Scope, values: dict[str, Any], wanted: str | None, title: str
) -> asyncpg.Record:
    """Insert the event under the ``wanted`` slug (taken: SlugTaken), else under the title's.

    The insert itself tells whether the slug is free (``ON CONFLICT DO NOTHING``): most titles
    are new, so inserting the event is one statement. A taken title slug is followed by a look at
    the ones in use, then the first free one (again, if a concurrent creator took it first).
    """
    base = slugify(title)
    slug = wanted or base
    values = {c: v for c, v in values.items() if c != "slug"}
    columns = ["box_office_id", "livemode", *values, "slug"]
    sql = _insert_sql("events", columns, "ON CONFLICT (box_office_id, livemode, slug) DO NOTHING RETURNING *")
    # each miss is another creator's committed event (a conflicting insert waits for its commit),
    # so the loop ends after as many tries as creators racing for the title; the bound is a guard
    for _ in range(100):
        event = await conn.fetchrow(sql, scope.box_office_id, scope.livemode, *values.values(), slug)
        if event is not None:
            return event
        if wanted:
            break
        slug = await _free_slug(conn, scope, base)
    raise SlugTaken(slug)


async def _office_currency(conn: asyncpg.Connection, scope: Scope) -> str:
    return await conn.fetchval("SELECT currency FROM box_offices WHERE id = $1", scope.box_office_id)


async def _free_slug(conn: asyncpg.Connection, scope: Scope, base: str) -> str:
    """``base``, else ``base-2``, ``base-3``, ...: the first one the box office has not used."""
    # the first twenty candidates are probes of the unique index; a pattern would read every
    # event of the box office (which made creating an event slower the more events it had)
    candidates = [base, *(f"{base}-{n}" for n in range(2, 21))]
    taken = await _slugs_taken(conn, scope, "slug = ANY($3::text[])", candidates)
    for slug in candidates:
        if slug not in taken:
            return slug
    taken = await _slugs_taken(conn, scope, "(slug = $3 OR slug LIKE $3 || '-%')", base)  # a popular title
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


async def _slugs_taken(conn: asyncpg.Connection, scope: Scope, condition: str, value: Any) -> set[str]:
    slugs = await conn.fetchval(
        f"SELECT coalesce(array_agg(slug), '{{}}') FROM events WHERE box_office_id = $1 AND livemode = $2"
        f" AND {condition}",
        scope.box_office_id, scope.livemode, value,
    )
    return set(slugs)


async def update_event(
    conn: asyncpg.Connection, scope: Scope, event_id: int, data: EventUpdate
) -> asyncpg.Record:
    changes = data.provided()
    async with conn.transaction():
        current = await get_event(conn, scope, event_id, for_update=True)
        try:
            return await _patch(conn, "events", current, changes, _check_event)
        except asyncpg.UniqueViolationError:
            raise SlugTaken(changes.get("slug", "")) from None


async def get_event(
    conn: asyncpg.Connection, scope: Scope, event_id: int, *, for_update: bool = False
) -> asyncpg.Record:
    lock = " FOR UPDATE" if for_update else ""
    return await scoped.fetch_one(conn, "events", "*", scope, event_id, "event", lock=lock)


async def resolve_event(
    conn: asyncpg.Connection, scope: Scope, id_or_slug: str, columns: str = "e.*"
) -> asyncpg.Record:
    """An event (alias ``e``) by any id form or by slug, within the scope."""
    event_id = parse_id("event", id_or_slug)
    if event_id is not None:
        row = await scoped.find_one(conn, "events e", columns, scope, event_id, alias="e")
        if row is not None:
            return row
    row = await conn.fetchrow(
        f"SELECT {columns} FROM events e WHERE e.slug = $1 AND e.box_office_id = $2 AND e.livemode = $3",
        id_or_slug, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("event", "Event not found")
    return row


async def publish_event(conn: asyncpg.Connection, scope: Scope, event_id: int) -> asyncpg.Record:
    async with conn.transaction():
        event = await get_event(conn, scope, event_id, for_update=True)
        if event["status"] not in ("draft", "published"):
            raise Conflict(f"An event that is {event['status']} cannot be published")
        paid = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM ticket_types WHERE event_id = $1 AND price > 0)", event_id
        )
        connected = await conn.fetchval(
            "SELECT payments_connected FROM box_offices WHERE id = $1", scope.box_office_id
        )
        if paid and not connected:
            raise PaymentsNotConnected(
                "Payments must be connected before you can publish an event with paid tickets"
            )
        return await _set_status(conn, event_id, "published")


async def cancel_event(conn: asyncpg.Connection, scope: Scope, event_id: int) -> asyncpg.Record:
    async with conn.transaction():
        event = await get_event(conn, scope, event_id, for_update=True)
        if event["status"] in ("cancelled", "completed", "archived"):
            raise Conflict(f"An event that is {event['status']} cannot be cancelled")
        return await _set_status(conn, event_id, "cancelled")


async def _set_status(conn: asyncpg.Connection, event_id: int, status: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE events SET status = $2, updated_at = now() WHERE id = $1 RETURNING *", event_id, status
    )


async def ticket_types_for(
    conn: asyncpg.Connection, event_ids: list[int], columns: str = "tt.*", *args: Any
) -> list[asyncpg.Record]:
    """Ticket types (alias ``tt``, with their event as ``e``) of many events, ordered for display.

    ``columns`` may use further placeholders from ``$2``, bound to ``args``.
    """
    if len(event_ids) == 1:  # a detail GET: `= ANY($1)` for one event was replanned on every
        # request in a large database (custom plans); this statement is planned once per connection
        return await conn.fetch(
            f"SELECT {columns} FROM ticket_types tt JOIN events e ON e.id = tt.event_id"
            " WHERE tt.event_id = $1::bigint ORDER BY tt.sort_order, tt.id",
            event_ids[0], *args,
        )
    return await conn.fetch(
        f"SELECT {columns} FROM ticket_types tt JOIN events e ON e.id = tt.event_id"
        " WHERE tt.event_id = ANY($1::bigint[]) ORDER BY tt.event_id, tt.sort_order, tt.id",
        event_ids, *args,
    )


async def ticket_type_by_id(conn: asyncpg.Connection, type_id: int, columns: str) -> asyncpg.Record:
    """One ticket type (alias ``tt``, its event ``e``) through a projection's columns."""
    row = await conn.fetchrow(
        f"SELECT {columns} FROM ticket_types tt JOIN events e ON e.id = tt.event_id WHERE tt.id = $1", type_id
    )
    if row is None:
        raise NotFound("ticket_type", "Ticket type not found")
    return row


async def add_ticket_type(
    conn: asyncpg.Connection, scope: Scope, event_id: int, data: TicketTypeCreate
) -> asyncpg.Record:
    async with conn.transaction():
        await get_event(conn, scope, event_id, for_update=True)
        return await _insert_ticket_type(conn, event_id, data, "")


async def _insert_ticket_type(
    conn: asyncpg.Connection, event_id: int, data: TicketTypeCreate, field: str
) -> asyncpg.Record:
    values: dict[str, Any] = {c: getattr(data, c) for c in TICKET_TYPE_COLUMNS}
    if data.group_id is not None:
        owner = await conn.fetchval("SELECT event_id FROM ticket_groups WHERE id = $1", data.group_id)
        if owner != event_id:
            raise ValidationFailed.single(f"{field}.group_id".lstrip("."), "no such ticket group")
    return await conn.fetchrow(
        _insert_sql("ticket_types", ["event_id", *values], "RETURNING *"), event_id, *values.values()
    )


async def get_ticket_type(
    conn: asyncpg.Connection, scope: Scope, ticket_type_id: int, *, for_update: bool = False
) -> asyncpg.Record:
    lock = " FOR UPDATE OF t" if for_update else ""
    row = await conn.fetchrow(
        "SELECT t.* FROM ticket_types t JOIN events e ON e.id = t.event_id"
        f" WHERE t.id = $1 AND e.box_office_id = $2 AND e.livemode = $3{lock}",
        ticket_type_id, scope.box_office_id, scope.livemode,
    )
    if row is None:
        raise NotFound("ticket_type", "Ticket type not found")
    return row


async def update_ticket_type(
    conn: asyncpg.Connection, scope: Scope, ticket_type_id: int, data: TicketTypeUpdate
) -> asyncpg.Record:
    async with conn.transaction():
        current = await get_ticket_type(conn, scope, ticket_type_id, for_update=True)
        return await _patch(conn, "ticket_types", current, data.provided(), _check_ticket_type)


async def _patch(
    conn: asyncpg.Connection, table: str, current: asyncpg.Record, changes: dict[str, Any],
    check: Callable[[dict[str, Any]], None],
) -> asyncpg.Record:
    """Write ``changes`` (column -> value) to the locked row ``current`` of ``table`` once the row
    they make passes ``check``; the row as it is when nothing changes."""
    check({**dict(current), **changes})
    if not changes:
        return current
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=2))
    return await conn.fetchrow(
        f"UPDATE {table} SET {assignments}, updated_at = now() WHERE id = $1 RETURNING *",
        current["id"], *changes.values(),
    )


def _check_event(row: dict[str, Any]) -> None:
    try:
        _check_times(row["starts_at"], row["ends_at"], row["doors_open_at"])
    except ValueError as exc:
        raise ValidationFailed.single("ends_at", str(exc)) from None


def _check_ticket_type(row: dict[str, Any]) -> None:
    errors = []
    if row["quantity"] < row["sold"] + row["held"]:
        errors.append(FieldError("quantity", f"must be at least the {row['sold'] + row['held']} already sold or held"))
    if row["min_per_order"] > row["max_per_order"]:
        errors.append(FieldError("min_per_order", "must not exceed max_per_order"))
    if row["sale_starts_at"] and row["sale_ends_at"] and row["sale_ends_at"] < row["sale_starts_at"]:
        errors.append(FieldError("sale_ends_at", "must not be before sale_starts_at"))
    for key in ("name", "price", "quantity", "min_per_order", "max_per_order", "hidden", "status"):
        if row[key] is None:
            errors.append(FieldError(key, "must not be null"))
    if errors:
        raise ValidationFailed(errors)


async def remove_ticket_type(conn: asyncpg.Connection, scope: Scope, ticket_type_id: int) -> None:
    """Delete an unsold ticket type: locked, checked for sales (its counters, then any order line
    naming it), then deleted, in one transaction."""
    async with conn.transaction():
        row = await get_ticket_type(conn, scope, ticket_type_id, for_update=True)
        if row["sold"] > 0 or row["held"] > 0:
            raise TicketTypeHasSales()
        sold_before = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM order_line_items WHERE ticket_type_id = $1)", ticket_type_id
        )
        if sold_before:
            raise TicketTypeHasSales()
        await conn.execute("DELETE FROM ticket_types WHERE id = $1", ticket_type_id)


# Two rules every dialect shows, written once in Python (checkout, serializers) and once in SQL
# (projections, core.projection); tests/core/test_projection.py holds them to the same answers.

def available(ticket_type: Any) -> int:
    return max(0, ticket_type["quantity"] - ticket_type["sold"] - ticket_type["held"])


def available_sql(alias: str) -> str:
    return f"greatest(0, {alias}.quantity - {alias}.sold - {alias}.held)"


def on_sale_now(ticket_type: Any, now: Any) -> bool:
    """Whether the type can be bought right now (status and sale window; stock aside)."""
    if ticket_type["status"] != "on_sale":
        return False
    starts, ends = ticket_type["sale_starts_at"], ticket_type["sale_ends_at"]
    return (starts is None or starts <= now) and (ends is None or now < ends)


def on_sale_now_sql(alias: str, now: str) -> str:
    """``on_sale_now`` in SQL; ``now`` is the placeholder bound to the clock's time."""
    return (f"({alias}.status = 'on_sale' AND ({alias}.sale_starts_at IS NULL OR {alias}.sale_starts_at <= {now})"
            f" AND ({alias}.sale_ends_at IS NULL OR {now} < {alias}.sale_ends_at))")
