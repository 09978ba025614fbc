"""Core rows to Equaticket JSON: snake_case, prefixed ids, ISO-8601 UTC, lowercase currency.

``webhook_object`` gives the delivery engine exactly what the GET endpoints return.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.events import available, get_event, ticket_types_for
from core.listing import line_items_for
from core.models import Scope
from core.orders import get_order, get_ticket

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


def ticket_type(row: Any, currency: str, livemode: bool) -> dict[str, Any]:
    return {
        "id": f"tkt_{row['id']}",
        "object": "ticket_type",
        "livemode": livemode,
        "event_id": f"evt_{row['event_id']}",
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
        "booking_fee": row["booking_fee"],
        "currency": currency.lower(),
        "quantity_total": row["quantity"],
        "quantity_sold": row["sold"],
        "quantity_available": available(row),
        "min_per_order": row["min_per_order"],
        "max_per_order": row["max_per_order"],
        "sale_starts_at": iso(row["sale_starts_at"]),
        "sale_ends_at": iso(row["sale_ends_at"]),
        "hidden": row["hidden"],
        "access_code": row["access_code"],
        "status": row["status"],
        "sort_order": row["sort_order"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def _event_fields(row: Any, base: str) -> dict[str, Any]:
    return {
        "id": f"evt_{row['id']}",
        "object": "event",
        "title": row["title"],
        "slug": row["slug"],
        "description": row["description"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "doors_open_at": iso(row["doors_open_at"]),
        "timezone": row["timezone"],
        "venue_name": row["venue_name"],
        "address": row["address"],
        "city": row["city"],
        "postal_code": row["postal_code"],
        "country": row["country"],
        "online": row["online"],
        "currency": row["currency"].lower(),
        "category": row["category"],
        "url": f"{base}/{row['slug']}",
        "image_header": row["image_header"],
        "image_thumbnail": row["image_thumbnail"],
        "call_to_action": row["call_to_action"],
    }


def event(row: Any, types: list[Any], base: str) -> dict[str, Any]:
    data = _event_fields(row, base)
    data.update(
        {
            "livemode": row["livemode"],
            "status": row["status"],
            "visibility": row["visibility"],
            "access_code": row["access_code"],
            "ticket_types": [ticket_type(t, row["currency"], row["livemode"]) for t in types],
            "created_at": iso(row["created_at"]),
            "updated_at": iso(row["updated_at"]),
        }
    )
    return data


def public_ticket_type(row: Any, currency: str) -> dict[str, Any]:
    return {
        "id": f"tkt_{row['id']}",
        "object": "ticket_type",
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
        "booking_fee": row["booking_fee"],
        "currency": currency.lower(),
        "sold_out": available(row) == 0,
        "status": row["status"],
        "sale_starts_at": iso(row["sale_starts_at"]),
        "sale_ends_at": iso(row["sale_ends_at"]),
    }


def public_event(row: Any, types: list[Any], base: str) -> dict[str, Any]:
    """What anyone may see: no access codes, no stock counts, no hidden or code-locked types."""
    data = _event_fields(row, base)
    data["status"] = row["status"]
    data["ticket_types"] = [
        public_ticket_type(t, row["currency"])
        for t in types
        if not t["hidden"] and not t["access_code"] and t["status"] != "hidden"
    ]
    return data


def line_item(row: Any) -> dict[str, Any]:
    ticket_type_id = row["ticket_type_id"]
    return {
        "type": row["type"],
        "ticket_type_id": f"tkt_{ticket_type_id}" if ticket_type_id else None,
        "name": row["description"],
        "quantity": row["quantity"],
        "subtotal": row["value"],
        "booking_fee": row["booking_fee"],
        "total": row["total"],
    }


def order(row: Any, items: list[Any]) -> dict[str, Any]:
    return {
        "id": f"ord_{row['id']}",
        "object": "order",
        "livemode": row["livemode"],
        "is_test_data": not row["livemode"],
        "event_id": f"evt_{row['event_id']}",
        "status": ORDER_STATUS[row["status"]],
        "buyer_name": row["buyer_name"],
        "buyer_email": row["buyer_email"],
        "buyer_phone": row["buyer_phone"],
        "currency": row["currency"].lower(),
        "subtotal": row["subtotal"],
        "booking_fee": row["booking_fee"],
        "tax": row["tax"],
        "total": row["total"],
        "refunded_amount": row["refund_amount"],
        "payment_method": row["payment_method"],
        "line_items": [line_item(i) for i in items],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def attendee(row: Any) -> dict[str, Any]:
    ticket_type_id = row["ticket_type_id"]
    return {
        "id": f"att_{row['id']}",
        "object": "attendee",
        "livemode": row["livemode"],
        "is_test_data": not row["livemode"],
        "event_id": f"evt_{row['event_id']}",
        "order_id": f"ord_{row['order_id']}",
        "ticket_type_id": f"tkt_{ticket_type_id}" if ticket_type_id else None,
        "ticket_type_name": row["description"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "barcode": row["barcode"],
        "status": row["status"],
        "checked_in": row["checked_in_at"] is not None,
        "checked_in_at": iso(row["checked_in_at"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


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


async def events_json(conn: asyncpg.Connection, rows: list[Any], base: str) -> list[dict[str, Any]]:
    types = group_by(await ticket_types_for(conn, [r["id"] for r in rows]), "event_id") if rows else {}
    return [event(r, types.get(r["id"], []), base) for r in rows]


async def orders_json(conn: asyncpg.Connection, rows: list[Any]) -> list[dict[str, Any]]:
    items = group_by(await line_items_for(conn, [r["id"] for r in rows]), "order_id") if rows else {}
    return [order(r, items.get(r["id"], [])) for r in rows]


async def webhook_object(
    conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int, *, public_base_url: str | None = None
) -> dict[str, Any]:
    """The JSON the GET endpoint returns for one order, event or attendee (for webhook payloads)."""
    if kind == "order":
        return (await orders_json(conn, [await get_order(conn, scope, object_id)]))[0]
    if kind == "attendee":
        return attendee(await get_ticket(conn, scope, object_id))
    if kind == "event":
        slug = await conn.fetchval("SELECT slug FROM box_offices WHERE id = $1", scope.box_office_id)
        base = events_base(_public_base_url if public_base_url is None else public_base_url, slug)
        return (await events_json(conn, [await get_event(conn, scope, object_id)], base))[0]
    raise ValueError(f"unknown webhook object kind: {kind}")
