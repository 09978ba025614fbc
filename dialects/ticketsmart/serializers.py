"""Core rows to TicketSmart's camelCase JSON, and the field-name map between the two.

Ids: events ``evt_<n>``, ticket types ``tkt_<n>``. Times: UTC ISO-8601 with milliseconds and
``Z`` (what a JavaScript ``Date`` serialises to). Enums: uppercase. Money: integer cents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from core.events import available, on_sale_now
from core.ids import format_id

EVENT_PREFIX = "evt_"
TICKET_TYPE_PREFIX = "tkt_"

# wire name -> core column, for the fields a client may write
EVENT_FIELDS: dict[str, str] = {
    "title": "title", "slug": "slug", "description": "description", "startsAt": "starts_at",
    "endsAt": "ends_at", "doorsOpen": "doors_open_at", "timezone": "timezone", "venueName": "venue_name",
    "address": "address", "postalCode": "postal_code", "city": "city", "country": "country",
    "currency": "currency", "visibility": "visibility", "category": "category",
}
TICKET_TYPE_FIELDS: dict[str, str] = {
    "name": "name", "description": "description", "price": "price", "quantity": "quantity",
    "saleStartsAt": "sale_starts_at", "saleEndsAt": "sale_ends_at", "minPerOrder": "min_per_order",
    "maxPerOrder": "max_per_order", "hidden": "hidden", "sortOrder": "sort_order",
}
CORE_TO_WIRE: dict[str, str] = {
    **{core: wire for wire, core in TICKET_TYPE_FIELDS.items()},
    **{core: wire for wire, core in EVENT_FIELDS.items()},
    "ticket_types": "ticketTypes",
}


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_id(number: int) -> str:
    return format_id(EVENT_PREFIX, number)


def ticket_type_id(number: int) -> str:
    return format_id(TICKET_TYPE_PREFIX, number)


def ticket_type_json(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    left = available(row)
    return {
        "id": ticket_type_id(row["id"]),
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
        "quantity": row["quantity"],
        "sold": row["sold"],
        "available": left,
        "soldOut": left == 0,
        "onSale": left > 0 and on_sale_now(row, now),
        "saleStartsAt": iso(row["sale_starts_at"]),
        "saleEndsAt": iso(row["sale_ends_at"]),
        "minPerOrder": row["min_per_order"],
        "maxPerOrder": row["max_per_order"],
        "hidden": row["hidden"],
        "sortOrder": row["sort_order"],
    }


def event_json(
    event: Mapping[str, Any], types: Iterable[Mapping[str, Any]], url: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": event_id(event["id"]),
        "title": event["title"],
        "slug": event["slug"],
        "description": event["description"],
        "status": event["status"].upper(),
        "startsAt": iso(event["starts_at"]),
        "endsAt": iso(event["ends_at"]),
        "doorsOpen": iso(event["doors_open_at"]),
        "timezone": event["timezone"],
        "venueName": event["venue_name"],
        "address": event["address"],
        "postalCode": event["postal_code"],
        "city": event["city"],
        "country": event["country"],
        "currency": event["currency"],
        "visibility": event["visibility"].upper(),
        "category": event["category"].upper(),
        "publicUrl": url,
        "ticketTypes": [ticket_type_json(t, now) for t in types],
        "createdAt": iso(event["created_at"]),
        "updatedAt": iso(event["updated_at"]),
    }


def event_on_sale(event: Mapping[str, Any], types: list[Mapping[str, Any]], now: datetime) -> bool:
    """Published, not started yet, and at least one visible type can be bought now."""
    if event["status"] != "published" or event["starts_at"] <= now:
        return False
    return any(not t["hidden"] and available(t) > 0 and on_sale_now(t, now) for t in types)


def availability_json(
    event: Mapping[str, Any], types: list[Mapping[str, Any]], now: datetime
) -> dict[str, Any]:
    """The compact shape for public websites: hidden (access-code) types are left out."""
    visible = [t for t in types if not t["hidden"]]
    lines = [{
        "id": ticket_type_id(t["id"]),
        "name": t["name"],
        "price": t["price"],
        "available": available(t),
        "soldOut": available(t) == 0,
    } for t in visible]
    total = sum(line["available"] for line in lines)
    return {
        "eventId": event_id(event["id"]),
        "status": event["status"].upper(),
        "currency": event["currency"],
        "onSale": event_on_sale(event, types, now),
        "soldOut": bool(lines) and total == 0,
        "totalQuantity": sum(t["quantity"] for t in visible),
        "totalSold": sum(t["sold"] for t in visible),
        "totalAvailable": total,
        "ticketTypes": lines,
    }
