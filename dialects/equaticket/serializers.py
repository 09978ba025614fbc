"""Core rows to Equaticket JSON: snake_case, prefixed ids, ISO-8601 UTC, lowercase currency.

Events, ticket types, orders, line items and attendees are projections (core.projection):
PostgreSQL renders each field, Python nests children and adds the events' public URLs.
Webhook subscriptions and deliveries (rare reads) stay Python functions of core rows.
``webhook_object`` gives the delivery engine exactly what the GET endpoints return.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core import listing
from core.events import available_sql, ticket_types_for
from core.listing import KEY_ID, keyset_columns
from core.models import Scope
from core.projection import Projection, sql_case, sql_iso, sql_prefixed

ORDER_STATUS = {
    "completed": "confirmed",
    "pending": "pending",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
ORDER_STATUS_IN = {wire: core for core, wire in ORDER_STATUS.items()}
_public_base_url = ""  # set by the dialect at start-up, for webhook_object callers without one


def configure(public_base_url: str) -> None:
    global _public_base_url
    _public_base_url = public_base_url.rstrip("/")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def events_base(public_base_url: str, box_office_slug: str) -> str:
    return f"{public_base_url}/events/{box_office_slug}"


# --- projections ---------------------------------------------------------------------------------

# ticket types are read with their event as "e" (core.events.ticket_types_for)
TICKET_TYPE = Projection((
    ("id", sql_prefixed("tkt_", "tt.id")),
    ("object", "'ticket_type'"),
    ("livemode", "e.livemode"),
    ("event_id", sql_prefixed("evt_", "tt.event_id")),
    ("name", "tt.name"),
    ("description", "tt.description"),
    ("price", "tt.price"),
    ("booking_fee", "tt.booking_fee"),
    ("currency", "lower(e.currency)"),
    ("quantity_total", "tt.quantity"),
    ("quantity_sold", "tt.sold"),
    ("quantity_available", available_sql("tt")),
    ("min_per_order", "tt.min_per_order"),
    ("max_per_order", "tt.max_per_order"),
    ("sale_starts_at", sql_iso("tt.sale_starts_at")),
    ("sale_ends_at", sql_iso("tt.sale_ends_at")),
    ("hidden", "tt.hidden"),
    ("access_code", "tt.access_code"),
    ("status", "tt.status"),
    ("sort_order", "tt.sort_order"),
    ("created_at", sql_iso("tt.created_at")),
    ("updated_at", sql_iso("tt.updated_at")),
), hidden=(
    ("_event", "tt.event_id"),
    ("_public", "NOT tt.hidden AND coalesce(tt.access_code, '') = '' AND tt.status <> 'hidden'"),
))

# what anyone may see: no access codes, no stock counts (public_events keeps only _public types)
PUBLIC_TICKET_TYPE = Projection((
    ("id", sql_prefixed("tkt_", "tt.id")),
    ("object", "'ticket_type'"),
    ("name", "tt.name"),
    ("description", "tt.description"),
    ("price", "tt.price"),
    ("booking_fee", "tt.booking_fee"),
    ("currency", "lower(e.currency)"),
    ("sold_out", f"{available_sql('tt')} = 0"),
    ("status", "tt.status"),
    ("sale_starts_at", sql_iso("tt.sale_starts_at")),
    ("sale_ends_at", sql_iso("tt.sale_ends_at")),
), hidden=TICKET_TYPE.hidden)

_EVENT_FIELDS = (
    ("id", sql_prefixed("evt_", "e.id")),
    ("object", "'event'"),
    ("title", "e.title"),
    ("slug", "e.slug"),
    ("description", "e.description"),
    ("starts_at", sql_iso("e.starts_at")),
    ("ends_at", sql_iso("e.ends_at")),
    ("doors_open_at", sql_iso("e.doors_open_at")),
    ("timezone", "e.timezone"),
    ("venue_name", "e.venue_name"),
    ("address", "e.address"),
    ("city", "e.city"),
    ("postal_code", "e.postal_code"),
    ("country", "e.country"),
    ("online", "e.online"),
    ("currency", "lower(e.currency)"),
    ("category", "e.category"),
    ("url", "NULL"),  # the box office's events page and the slug (events())
    ("image_header", "e.image_header"),
    ("image_thumbnail", "e.image_thumbnail"),
    ("call_to_action", "e.call_to_action"),
)
_EVENT_HIDDEN = (*keyset_columns("e"), ("_slug", "e.slug"))
EVENT = Projection((
    *_EVENT_FIELDS,
    ("livemode", "e.livemode"),
    ("status", "e.status"),
    ("visibility", "e.visibility"),
    ("access_code", "e.access_code"),
    ("ticket_types", "NULL"),
    ("created_at", sql_iso("e.created_at")),
    ("updated_at", sql_iso("e.updated_at")),
), hidden=_EVENT_HIDDEN)
PUBLIC_EVENT = Projection((*_EVENT_FIELDS, ("status", "e.status"), ("ticket_types", "NULL")), hidden=_EVENT_HIDDEN)

LINE_ITEM = Projection((
    ("type", "li.type"),
    ("ticket_type_id", sql_prefixed("tkt_", "li.ticket_type_id")),
    ("name", "li.description"),
    ("quantity", "li.quantity"),
    ("subtotal", "li.value"),
    ("booking_fee", "li.booking_fee"),
    ("total", "li.total"),
), hidden=(("_order", "li.order_id"),))

ORDER = Projection((
    ("id", sql_prefixed("ord_", "o.id")),
    ("object", "'order'"),
    ("livemode", "o.livemode"),
    ("is_test_data", "NOT o.livemode"),
    ("event_id", sql_prefixed("evt_", "o.event_id")),
    ("status", sql_case("o.status", ORDER_STATUS)),
    ("buyer_name", "o.buyer_name"),
    ("buyer_email", "o.buyer_email"),
    ("buyer_phone", "o.buyer_phone"),
    ("currency", "lower(o.currency)"),
    ("subtotal", "o.subtotal"),
    ("booking_fee", "o.booking_fee"),
    ("tax", "o.tax"),
    ("total", "o.total"),
    ("refunded_amount", "o.refund_amount"),
    ("payment_method", "o.payment_method"),
    ("line_items", "NULL"),
    ("created_at", sql_iso("o.created_at")),
    ("updated_at", sql_iso("o.updated_at")),
), hidden=keyset_columns("o"))

ATTENDEE = Projection((
    ("id", sql_prefixed("att_", "t.id")),
    ("object", "'attendee'"),
    ("livemode", "t.livemode"),
    ("is_test_data", "NOT t.livemode"),
    ("event_id", sql_prefixed("evt_", "t.event_id")),
    ("order_id", sql_prefixed("ord_", "t.order_id")),
    ("ticket_type_id", sql_prefixed("tkt_", "t.ticket_type_id")),
    ("ticket_type_name", "t.description"),
    ("first_name", "t.first_name"),
    ("last_name", "t.last_name"),
    ("email", "t.email"),
    ("barcode", "t.barcode"),
    ("status", "t.status"),
    ("checked_in", "t.checked_in_at IS NOT NULL"),
    ("checked_in_at", sql_iso("t.checked_in_at")),
    ("created_at", sql_iso("t.created_at")),
    ("updated_at", sql_iso("t.updated_at")),
), hidden=keyset_columns("t"))


# --- nesting --------------------------------------------------------------------------------------

async def events_json(
    conn: asyncpg.Connection, rows: list[Any], base: str, *, public: bool = False
) -> list[dict[str, Any]]:
    """Events (rows of EVENT, or PUBLIC_EVENT when ``public``) with their ticket types nested."""
    if not rows:
        return []
    kind, event = (PUBLIC_TICKET_TYPE, PUBLIC_EVENT) if public else (TICKET_TYPE, EVENT)
    types = await ticket_types_for(conn, [row[KEY_ID] for row in rows], kind.columns)
    if public:
        types = [t for t in types if t["_public"]]
    types_by = kind.grouped(types, "_event")
    out = event.objects(rows)
    for row, e in zip(rows, out, strict=True):
        e["url"] = f"{base}/{row['_slug']}"
        e["ticket_types"] = types_by.get(row[KEY_ID], [])
    return out


async def ticket_types_json(conn: asyncpg.Connection, event_id: int) -> list[dict[str, Any]]:
    return TICKET_TYPE.objects(await ticket_types_for(conn, [event_id], TICKET_TYPE.columns))


async def orders_json(conn: asyncpg.Connection, rows: list[Any]) -> list[dict[str, Any]]:
    if not rows:
        return []
    items = LINE_ITEM.grouped(await listing.line_items_for(conn, [row[KEY_ID] for row in rows], LINE_ITEM.columns),
                              "_order")
    out = ORDER.objects(rows)
    for row, o in zip(rows, out, strict=True):
        o["line_items"] = items.get(row[KEY_ID], [])
    return out


def subscription(row: Any, *, with_secret: bool = False) -> dict[str, Any]:
    data = {
        "id": f"whsub_{row['id']}",
        "object": "webhook_subscription",
        "livemode": row["livemode"],
        "url": row["url"],
        "event_types": list(row["event_types"]),
        "description": row["description"],
        "enabled": row["enabled"],
        "disabled_reason": row["disabled_reason"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }
    if with_secret:  # shown once, in the create response
        data["secret"] = row["secret"]
    return data


def attempt(row: Any) -> dict[str, Any]:
    return {
        "attempted_at": iso(row["attempted_at"]),
        "status_code": row["status_code"],
        "duration_ms": row["duration_ms"],
        "error": row["error"],
    }


def delivery(row: Any, attempts: list[Any], livemode: bool) -> dict[str, Any]:
    pending = row["status"] == "pending"
    return {
        "id": f"whdel_{row['id']}",
        "object": "webhook_delivery",
        "livemode": livemode,
        "subscription_id": f"whsub_{row['subscription_id']}",
        "webhook_event_id": f"whevt_{row['event_id']}",
        "event_type": row["event_type"],
        "payload": row["event_payload"],
        "status": row["status"],
        "attempt_count": row["attempts"],
        "next_attempt_at": iso(row["next_attempt_at"]) if pending else None,
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "attempts": [attempt(a) for a in attempts],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def group_by(rows: list[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


async def webhook_object(
    conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int, *, public_base_url: str | None = None
) -> dict[str, Any]:
    """The JSON the GET endpoint returns for one order, event or attendee (for webhook payloads)."""
    if kind == "order":
        order = await listing.read_one(conn, ORDER.columns, listing.ORDERS, scope, object_id)
        return (await orders_json(conn, [order]))[0]
    if kind == "attendee":
        return ATTENDEE.objects([await listing.read_one(conn, ATTENDEE.columns, listing.TICKETS, scope, object_id)])[0]
    if kind == "event":
        slug = await conn.fetchval("SELECT slug FROM box_offices WHERE id = $1", scope.box_office_id)
        base = events_base(_public_base_url if public_base_url is None else public_base_url, slug)
        row = await listing.read_one(conn, EVENT.columns, listing.EVENTS, scope, object_id)
        return (await events_json(conn, [row], base))[0]
    raise ValueError(f"unknown webhook object kind: {kind}")
