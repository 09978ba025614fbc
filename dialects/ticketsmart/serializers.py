"""TicketSmart's wire objects and enums, declared once (dialects.spec), and their nesting.

Each object is one ``WireObject`` table: the SQL that renders a field (the projection), its
JSON Schema (openapi.py) and the core field the client reads it into (client.py) sit on one
row, so a field added here appears in all three. The wire<->core names of the fields a client
may write (``EVENT_FIELDS``...) are read off the same rows.

Ids: events ``evt_<n>``, ticket types ``tkt_<n>``. Times: UTC ISO-8601 with milliseconds and
``Z`` (what a JavaScript ``Date`` serialises to). Enums: uppercase. Money: integer cents.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, get_args

from pydantic import BaseModel

from core.events import available_sql, on_sale_now_sql
from core.ids import format_id
from core.listing import keyset_columns
from core.models import Category, EventStatus, EventUpdate, TicketTypeCreate, Visibility
from core.projection import Projection, sql_iso, sql_prefixed
from core.reads import NOW, Child, Shape
from dialects.schema import BOOLEAN, INTEGER, NULL_STRING, NULL_TIME, STRING, TIME, Schema, array, prefixed, ref
from dialects.spec import Field, Parser, WireEnum, WireObject, utc_seconds

EVENT_PREFIX = "evt_"
TICKET_TYPE_PREFIX = "tkt_"


def _uppercase(values: Collection[str]) -> WireEnum:
    return WireEnum({value: value.upper() for value in values})


STATUS = _uppercase(get_args(EventStatus))
VISIBILITY = _uppercase(get_args(Visibility))
CATEGORY = _uppercase(get_args(Category))


def _enum_sql(enum: WireEnum, column: str) -> str:
    """The enum rendered by PostgreSQL: ``upper()`` while the map is upper-casing (cheaper per
    row than the CASE it equals), the CASE of the map otherwise."""
    if all(wire == core.upper() for core, wire in enum.to_wire.items()):
        return f"upper({column})"
    return enum.sql(column)


def _enum_schema(enum: WireEnum) -> Schema:
    return {"enum": enum.values}  # no "type": the document has always served it so


def _upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def _column(name: str, column: str, schema: Schema, parse: Parser | None = None) -> Field:
    """A field that is one column as is (``tt.min_per_order``): the client reads it into the core
    field of the column's name."""
    return Field(name, column, schema, column.partition(".")[2], parse)


def _time(name: str, column: str, schema: Schema = NULL_TIME) -> Field:
    return Field(name, sql_iso(column, millis=True), schema, column.partition(".")[2], utc_seconds)


def _enum(name: str, enum: WireEnum, column: str | None) -> Field:
    return Field(name, None if column is None else _enum_sql(enum, column), _enum_schema(enum), name, enum.parse)


def event_id(number: int) -> str:
    return format_id(EVENT_PREFIX, number)


# --- the objects: ticket types are read as children of their event "e" (core.reads), NOW is the
# clock's time ------------------------------------------------------------------------------------

_AVAILABLE = available_sql("tt")
_ON_SALE = f"{_AVAILABLE} > 0 AND {on_sale_now_sql('tt', NOW)}"

TICKET_TYPE = WireObject("TicketType", (
    Field("id", sql_prefixed(TICKET_TYPE_PREFIX, "tt.id"), prefixed(TICKET_TYPE_PREFIX), "source_id"),
    _column("name", "tt.name", STRING),
    _column("description", "tt.description", NULL_STRING),
    _column("price", "tt.price", {"type": "integer", "minimum": 0, "description": "cents"}),
    _column("quantity", "tt.quantity", INTEGER),
    _column("sold", "tt.sold", INTEGER),
    Field("available", _AVAILABLE, INTEGER, "available"),
    Field("soldOut", f"{_AVAILABLE} = 0", BOOLEAN),
    Field("onSale", _ON_SALE, BOOLEAN),
    _time("saleStartsAt", "tt.sale_starts_at"),
    _time("saleEndsAt", "tt.sale_ends_at"),
    _column("minPerOrder", "tt.min_per_order", INTEGER),
    _column("maxPerOrder", "tt.max_per_order", INTEGER),
    _column("hidden", "tt.hidden", BOOLEAN),
    _column("sortOrder", "tt.sort_order", INTEGER),
), hidden=(("_event", "tt.event_id"),))

# the compact availability line: only types without an access code (hidden) are listed
AVAILABILITY_LINE = WireObject("AvailabilityLine", (
    Field("id", sql_prefixed(TICKET_TYPE_PREFIX, "tt.id"), STRING),
    Field("name", "tt.name", STRING),
    Field("price", "tt.price", INTEGER),
    Field("available", _AVAILABLE, INTEGER),
    Field("soldOut", f"{_AVAILABLE} = 0", BOOLEAN),
))

EVENT = WireObject("Event", (
    Field("id", sql_prefixed(EVENT_PREFIX, "e.id"), prefixed(EVENT_PREFIX), "source_id"),
    _column("title", "e.title", STRING),
    _column("slug", "e.slug", STRING),
    _column("description", "e.description", NULL_STRING),
    _enum("status", STATUS, "e.status"),
    _time("startsAt", "e.starts_at", TIME),
    _time("endsAt", "e.ends_at"),
    _time("doorsOpen", "e.doors_open_at"),
    _column("timezone", "e.timezone", STRING),
    _column("venueName", "e.venue_name", NULL_STRING),
    _column("address", "e.address", NULL_STRING),
    _column("postalCode", "e.postal_code", NULL_STRING),
    _column("city", "e.city", NULL_STRING),
    _column("country", "e.country", NULL_STRING),
    _column("currency", "e.currency", {"type": "string", "pattern": "^[A-Z]{3}$"}, _upper),
    _enum("visibility", VISIBILITY, "e.visibility"),
    _enum("category", CATEGORY, "e.category"),
    # NULL placeholders keep the vendor's field order in the row; events() fills them
    Field("publicUrl", "NULL", STRING, "url"),
    Field("ticketTypes", "NULL", array(ref(TICKET_TYPE.name)), "ticket_types"),
    _time("createdAt", "e.created_at", TIME),
    _time("updatedAt", "e.updated_at", TIME),
), hidden=(*keyset_columns("e"), ("_slug", "e.slug")))

# built in Python from the event and its lines (totals over the visible lines): no SQL column
AVAILABILITY = WireObject("Availability", (
    Field("eventId", None, STRING, "event_id"),
    _enum("status", STATUS, None),
    Field("currency", None, STRING, "currency"),
    Field("onSale", None, BOOLEAN, "on_sale"),
    Field("soldOut", None, BOOLEAN, "sold_out"),
    Field("totalQuantity", None, INTEGER, "total_quantity"),
    Field("totalSold", None, INTEGER, "total_sold"),
    Field("totalAvailable", None, INTEGER, "total_available"),
    Field("ticketTypes", None, array(AVAILABILITY_LINE.schema())),
))


# --- what each GET reads in its one statement (core.reads) -----------------------------------------

_TYPES = Child("ticketTypes", TICKET_TYPE.projection, "ticket_types tt", "tt.event_id", "tt.sort_order, tt.id")
EVENT_READ = Shape(EVENT.projection, (_TYPES,))
# GET .../ticket-types: the event's id and its types, already the response body
_EVENT_SQL = dict(EVENT.projection.fields)
TICKET_TYPES_READ = Shape(Projection((("eventId", _EVENT_SQL["id"]), ("ticketTypes", "NULL"))), (_TYPES,))
# the availability lines are the types without an access code (hidden); the totals are over them
_LINES = Child("ticketTypes", AVAILABILITY_LINE.projection, "ticket_types tt", "tt.event_id", "tt.sort_order, tt.id",
               where="NOT tt.hidden", aggregates=(
                   ("_lines", "count(*)", "0"), ("_quantity", "sum(tt.quantity)", "0"), ("_sold", "sum(tt.sold)", "0"),
                   ("_available", f"sum({_AVAILABLE})", "0"), ("_buyable", f"bool_or({_ON_SALE})", "false")))
AVAILABILITY_READ = Shape(Projection(
    (*((name, _EVENT_SQL[name]) for name in ("id", "status", "currency")), ("ticketTypes", "NULL")),
    # on sale needs the event published and not started yet: one flag, not a timestamptz to decode
    hidden=(("_upcoming", f"coalesce(e.status = 'published' AND e.starts_at > {NOW}, false)"),)), (_LINES,))


def writable(obj: WireObject, model: type[BaseModel]) -> dict[str, str]:
    """Wire name -> core field of the fields a client may write: those ``model`` takes as input."""
    return {f.name: f.core for f in obj.fields if f.core is not None and f.core in model.model_fields}


EVENT_FIELDS = writable(EVENT, EventUpdate)
TICKET_TYPE_FIELDS = writable(TICKET_TYPE, TicketTypeCreate)
CORE_TO_WIRE: dict[str, str] = {
    **{core: wire for wire, core in TICKET_TYPE_FIELDS.items()},
    **{core: wire for wire, core in EVENT_FIELDS.items()},
    "ticket_types": "ticketTypes",
}


# --- nesting -----------------------------------------------------------------------------------

def events(rows: Sequence[Any], events_page: str) -> list[dict[str, Any]]:
    """Events (rows of EVENT_READ: their ticket types nested); ``events_page`` is the box office's
    public events URL."""
    out = EVENT_READ.objects(rows)
    for row, e in zip(rows, out, strict=True):
        e["publicUrl"] = f"{events_page}/{row['_slug']}"
    return out


def availability(event: Any) -> dict[str, Any]:
    """The compact shape for public websites (a row of AVAILABILITY_READ: the lines and their
    totals leave hidden (access-code) types out)."""
    # on sale: published, not started yet, and at least one visible type can be bought now
    on_sale = event["_upcoming"] and event["_buyable"]
    return {
        "eventId": event["id"],
        "status": event["status"],
        "currency": event["currency"],
        "onSale": on_sale,
        "soldOut": event["_lines"] > 0 and event["_available"] == 0,
        "totalQuantity": event["_quantity"],
        "totalSold": event["_sold"],
        "totalAvailable": event["_available"],
        "ticketTypes": event["ticketTypes"],
    }
