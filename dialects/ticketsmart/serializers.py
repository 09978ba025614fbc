"""Core rows to TicketSmart's camelCase JSON, and the field-name map between the two.

Ids: events ``evt_<n>``, ticket types ``tkt_<n>``. Times: UTC ISO-8601 with milliseconds and
``Z`` (what a JavaScript ``Date`` serialises to). Enums: uppercase. Money: integer cents.
Events and ticket types are projections (core.projection): PostgreSQL renders each field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.events import available_sql, on_sale_now_sql
from core.ids import format_id
from core.listing import KEY_ID, keyset_columns
from core.projection import Projection, sql_iso, sql_prefixed

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


def event_id(number: int) -> str:
    return format_id(EVENT_PREFIX, number)


# --- projections (core.projection): PostgreSQL renders every field ---------------------------------

_AVAILABLE = available_sql("tt")
# ticket types are read with their event as "e" (core.events.ticket_types_for); $2 is the clock's now
TICKET_TYPE = Projection((
    ("id", sql_prefixed(TICKET_TYPE_PREFIX, "tt.id")),
    ("name", "tt.name"),
    ("description", "tt.description"),
    ("price", "tt.price"),
    ("quantity", "tt.quantity"),
    ("sold", "tt.sold"),
    ("available", _AVAILABLE),
    ("soldOut", f"{_AVAILABLE} = 0"),
    ("onSale", f"{_AVAILABLE} > 0 AND {on_sale_now_sql('tt', '$2')}"),
    ("saleStartsAt", sql_iso("tt.sale_starts_at", millis=True)),
    ("saleEndsAt", sql_iso("tt.sale_ends_at", millis=True)),
    ("minPerOrder", "tt.min_per_order"),
    ("maxPerOrder", "tt.max_per_order"),
    ("hidden", "tt.hidden"),
    ("sortOrder", "tt.sort_order"),
), hidden=(("_event", "tt.event_id"),))

# the compact availability line: only types without an access code (hidden) are listed
AVAILABILITY_LINE = Projection((
    ("id", sql_prefixed(TICKET_TYPE_PREFIX, "tt.id")),
    ("name", "tt.name"),
    ("price", "tt.price"),
    ("available", _AVAILABLE),
    ("soldOut", f"{_AVAILABLE} = 0"),
), hidden=(("_hidden", "tt.hidden"), ("_quantity", "tt.quantity"), ("_sold", "tt.sold"),
           ("_buyable", f"{_AVAILABLE} > 0 AND {on_sale_now_sql('tt', '$2')}")))

EVENT = Projection((
    ("id", sql_prefixed(EVENT_PREFIX, "e.id")),
    ("title", "e.title"),
    ("slug", "e.slug"),
    ("description", "e.description"),
    ("status", "upper(e.status)"),
    ("startsAt", sql_iso("e.starts_at", millis=True)),
    ("endsAt", sql_iso("e.ends_at", millis=True)),
    ("doorsOpen", sql_iso("e.doors_open_at", millis=True)),
    ("timezone", "e.timezone"),
    ("venueName", "e.venue_name"),
    ("address", "e.address"),
    ("postalCode", "e.postal_code"),
    ("city", "e.city"),
    ("country", "e.country"),
    ("currency", "e.currency"),
    ("visibility", "upper(e.visibility)"),
    ("category", "upper(e.category)"),
    ("publicUrl", "NULL"),  # the box office's events page and the slug (events())
    ("ticketTypes", "NULL"),
    ("createdAt", sql_iso("e.created_at", millis=True)),
    ("updatedAt", sql_iso("e.updated_at", millis=True)),
), hidden=(*keyset_columns("e"), ("_slug", "e.slug"), ("_status", "e.status"), ("_starts", "e.starts_at")))


def events(rows: Sequence[Any], types: Sequence[Any], events_page: str) -> list[dict[str, Any]]:
    """Events with their ticket types; ``events_page`` is the box office's public events URL."""
    types_by = TICKET_TYPE.grouped(types, "_event")
    out = EVENT.objects(rows)
    for row, e in zip(rows, out, strict=True):
        e["publicUrl"] = f"{events_page}/{row['_slug']}"
        e["ticketTypes"] = types_by.get(row[KEY_ID], [])
    return out


def availability(event: Any, lines: Sequence[Any], now: datetime) -> dict[str, Any]:
    """The compact shape for public websites: hidden (access-code) types are left out."""
    visible = [line for line in lines if not line["_hidden"]]
    total = sum(line["available"] for line in visible)
    # on sale: published, not started yet, and at least one visible type can be bought now
    on_sale = (event["_status"] == "published" and event["_starts"] > now
               and any(line["_buyable"] for line in visible))
    return {
        "eventId": event["id"],
        "status": event["status"],
        "currency": event["currency"],
        "onSale": on_sale,
        "soldOut": bool(visible) and total == 0,
        "totalQuantity": sum(line["_quantity"] for line in visible),
        "totalSold": sum(line["_sold"] for line in visible),
        "totalAvailable": total,
        "ticketTypes": AVAILABILITY_LINE.objects(visible),
    }
