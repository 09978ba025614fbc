"""Equaticket's wire objects, declared once: snake_case, prefixed ids, ISO-8601 UTC, lowercase currency.

Each object is a ``WireObject`` table (dialects.spec): the projection PostgreSQL renders, the
OpenAPI schema (openapi.py) and the client's parser (client.py) all come from it. Python only
nests children and fills the events' public URLs (``url`` and ``ticket_types`` are NULL
placeholders in the select list, so the fields keep the vendor's order). Webhook subscriptions
and deliveries (rare reads of core rows) are rendered in Python, against the same tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.events import available_sql
from core.listing import keyset_columns
from core.projection import Projection, sql_iso, sql_prefixed
from core.reads import Child, Shape
from core.subscriptions import DELIVERY_COLUMNS
from dialects.schema import (
    BOOLEAN,
    INTEGER,
    NULL_INTEGER,
    NULL_STRING,
    NULL_TIME,
    STRING,
    TIME,
    Schema,
    array,
    enum,
    prefixed,
    ref,
)
from dialects.spec import Field, Parser, WireEnum, WireObject, utc_seconds

F = Field  # the tables read better with a short name

ORDER_STATUS = WireEnum({"completed": "confirmed", "pending": "pending", "cancelled": "cancelled",
                         "refunded": "refunded"})
EVENT_STATUS = enum("draft", "published", "sold_out", "cancelled", "completed", "archived")
CURRENCY: Schema = {"type": "string", "pattern": "^[a-z]{3}$"}
WEBHOOK_EVENT_TYPES = enum("order.placed", "order.refunded", "event.sold_out", "ticket.scanned")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def events_base(public_base_url: str, box_office_slug: str) -> str:
    return f"{public_base_url}/events/{box_office_slug}"


def same(name: str, sql: str, schema: Schema, parse: Parser | None = None) -> Field:
    """A field the client reads back under its own name."""
    return Field(name, sql, schema, name, parse)


def at(name: str, column: str, *, null: bool = False) -> Field:
    """A time field: ISO-8601 UTC from PostgreSQL, normalised by the client."""
    return Field(name, sql_iso(column), NULL_TIME if null else TIME, name, utc_seconds)


def ident(name: str, prefix: str, column: str, core: str | None = None, *, null: bool = False) -> Field:
    """A prefixed id (``evt_12``); the client keeps the vendor's id text."""
    return Field(name, sql_prefixed(prefix, column), prefixed(prefix, null=null), core)


def kind(name: str) -> Field:
    return F("object", f"'{name}'", enum(name))


# --- ticket types (read with their event as "e": core.events.ticket_types_for) -----------------------

_TYPE_HIDDEN = (
    ("_event", "tt.event_id"),
    ("_public", "NOT tt.hidden AND coalesce(tt.access_code, '') = '' AND tt.status <> 'hidden'"),
)
TICKET_TYPE = WireObject("TicketType", (
    ident("id", "tkt_", "tt.id", "source_id"),
    kind("ticket_type"),
    F("livemode", "e.livemode", BOOLEAN),
    ident("event_id", "evt_", "tt.event_id", "event_id"),
    same("name", "tt.name", STRING),
    same("description", "tt.description", NULL_STRING),
    same("price", "tt.price", INTEGER),
    same("booking_fee", "tt.booking_fee", INTEGER),
    F("currency", "lower(e.currency)", CURRENCY),
    F("quantity_total", "tt.quantity", INTEGER, "quantity"),
    F("quantity_sold", "tt.sold", INTEGER, "sold"),
    F("quantity_available", available_sql("tt"), INTEGER, "available"),
    same("min_per_order", "tt.min_per_order", INTEGER),
    same("max_per_order", "tt.max_per_order", INTEGER),
    at("sale_starts_at", "tt.sale_starts_at", null=True),
    at("sale_ends_at", "tt.sale_ends_at", null=True),
    same("hidden", "tt.hidden", BOOLEAN),
    same("access_code", "tt.access_code", NULL_STRING),
    same("status", "tt.status", STRING),
    same("sort_order", "tt.sort_order", INTEGER),
    at("created_at", "tt.created_at"),
    at("updated_at", "tt.updated_at"),
), hidden=_TYPE_HIDDEN)

# what anyone may see: no access codes, no stock counts (the listing keeps only _public types)
PUBLIC_TICKET_TYPE = WireObject("PublicTicketType", (
    TICKET_TYPE["id"], TICKET_TYPE["object"], TICKET_TYPE["name"], TICKET_TYPE["description"],
    TICKET_TYPE["price"], TICKET_TYPE["booking_fee"],
    F("currency", "lower(e.currency)", STRING),
    F("sold_out", f"{available_sql('tt')} = 0", BOOLEAN),
    TICKET_TYPE["status"], TICKET_TYPE["sale_starts_at"], TICKET_TYPE["sale_ends_at"],
), hidden=_TYPE_HIDDEN)

# --- events -----------------------------------------------------------------------------------------

_EVENT_COMMON = (
    ident("id", "evt_", "e.id", "source_id"),
    kind("event"),
    same("title", "e.title", STRING),
    same("slug", "e.slug", STRING),
    same("description", "e.description", NULL_STRING),
    at("starts_at", "e.starts_at"),
    at("ends_at", "e.ends_at", null=True),
    at("doors_open_at", "e.doors_open_at", null=True),
    same("timezone", "e.timezone", STRING),
    same("venue_name", "e.venue_name", NULL_STRING),
    same("address", "e.address", NULL_STRING),
    same("city", "e.city", NULL_STRING),
    same("postal_code", "e.postal_code", NULL_STRING),
    same("country", "e.country", NULL_STRING),
    same("online", "e.online", BOOLEAN),
    F("currency", "lower(e.currency)", CURRENCY, "currency", upper),
    same("category", "e.category", STRING),
    same("url", "NULL", STRING),  # the box office's events page and the slug (nest_events)
    same("image_header", "e.image_header", NULL_STRING),
    same("image_thumbnail", "e.image_thumbnail", NULL_STRING),
    same("call_to_action", "e.call_to_action", NULL_STRING),
)
_EVENT_HIDDEN = (*keyset_columns("e"), ("_slug", "e.slug"))
_STATUS = same("status", "e.status", EVENT_STATUS)
EVENT = WireObject("Event", (
    *_EVENT_COMMON,
    F("livemode", "e.livemode", BOOLEAN),
    _STATUS,
    same("visibility", "e.visibility", enum("public", "unlisted", "private")),
    same("access_code", "e.access_code", NULL_STRING),
    F("ticket_types", "NULL", array(ref("TicketType"))),  # nested (nest_events)
    at("created_at", "e.created_at"),
    at("updated_at", "e.updated_at"),
), hidden=_EVENT_HIDDEN)
PUBLIC_EVENT = WireObject("PublicEvent", (
    *_EVENT_COMMON, _STATUS, F("ticket_types", "NULL", array(ref("PublicTicketType"))),
), hidden=_EVENT_HIDDEN)

# --- orders and attendees ------------------------------------------------------------------------------

LINE_ITEM = WireObject("LineItem", (
    same("type", "li.type", STRING),
    ident("ticket_type_id", "tkt_", "li.ticket_type_id", "ticket_type_id", null=True),
    F("name", "li.description", STRING, "description"),
    same("quantity", "li.quantity", INTEGER),
    F("subtotal", "li.value", INTEGER, "value"),
    same("booking_fee", "li.booking_fee", INTEGER),
    same("total", "li.total", INTEGER),
), hidden=(("_order", "li.order_id"),))

ORDER = WireObject("Order", (
    ident("id", "ord_", "o.id", "source_id"),
    kind("order"),
    F("livemode", "o.livemode", BOOLEAN),
    F("is_test_data", "NOT o.livemode", BOOLEAN),
    ident("event_id", "evt_", "o.event_id", "event_id"),
    F("status", ORDER_STATUS.sql("o.status"), ORDER_STATUS.schema(), "status", ORDER_STATUS.parse),
    same("buyer_name", "o.buyer_name", STRING),
    same("buyer_email", "o.buyer_email", STRING),
    same("buyer_phone", "o.buyer_phone", NULL_STRING),
    F("currency", "lower(o.currency)", STRING, "currency", upper),
    same("subtotal", "o.subtotal", INTEGER),
    same("booking_fee", "o.booking_fee", INTEGER),
    same("tax", "o.tax", INTEGER),
    same("total", "o.total", INTEGER),
    F("refunded_amount", "o.refund_amount", INTEGER, "refund_amount"),
    same("payment_method", "o.payment_method", STRING),
    F("line_items", "NULL", array(ref("LineItem"))),  # nested (nest_orders)
    at("created_at", "o.created_at"),
    at("updated_at", "o.updated_at"),
), hidden=keyset_columns("o"))

ATTENDEE = WireObject("Attendee", (
    ident("id", "att_", "t.id", "source_id"),
    kind("attendee"),
    F("livemode", "t.livemode", BOOLEAN),
    F("is_test_data", "NOT t.livemode", BOOLEAN),
    ident("event_id", "evt_", "t.event_id", "event_id"),
    ident("order_id", "ord_", "t.order_id", "order_id"),
    ident("ticket_type_id", "tkt_", "t.ticket_type_id", "ticket_type_id", null=True),
    F("ticket_type_name", "t.description", STRING, "description"),
    same("first_name", "t.first_name", NULL_STRING),
    same("last_name", "t.last_name", NULL_STRING),
    same("email", "t.email", NULL_STRING),
    same("barcode", "t.barcode", STRING),
    same("status", "t.status", enum("valid", "void")),
    same("checked_in", "t.checked_in_at IS NOT NULL", BOOLEAN),
    at("checked_in_at", "t.checked_in_at", null=True),
    at("created_at", "t.created_at"),
    at("updated_at", "t.updated_at"),
), hidden=keyset_columns("t"))

# --- webhooks (rendered in Python from core rows: their SQL is None) ---------------------------------


def py(name: str, schema: Schema) -> Field:
    return F(name, None, schema)


_SUBSCRIPTION = (
    py("id", prefixed("whsub_")), kind("webhook_subscription"), py("livemode", BOOLEAN), py("url", STRING),
    py("event_types", array(WEBHOOK_EVENT_TYPES)), py("description", NULL_STRING), py("enabled", BOOLEAN),
    py("disabled_reason", NULL_STRING), py("created_at", TIME), py("updated_at", TIME),
)
WEBHOOK_SUBSCRIPTION = WireObject("WebhookSubscription", _SUBSCRIPTION)
# shown once, in the create response
WEBHOOK_SUBSCRIPTION_CREATED = WireObject("WebhookSubscriptionCreated",
                                          (*_SUBSCRIPTION, py("secret", {"type": "string", "pattern": "^whsec_"})))
# a delivery's attempts are read as its children (alias "a"), rendered by PostgreSQL like iso()
WEBHOOK_ATTEMPT = WireObject("WebhookAttempt", (
    F("attempted_at", sql_iso("a.attempted_at"), TIME), F("status_code", "a.status_code", NULL_INTEGER),
    F("duration_ms", "a.duration_ms", INTEGER), F("error", "a.error", NULL_STRING),
))
DELIVERY = WireObject("WebhookDelivery", (
    py("id", prefixed("whdel_")), kind("webhook_delivery"), py("livemode", BOOLEAN),
    py("subscription_id", prefixed("whsub_")), py("webhook_event_id", STRING), py("event_type", WEBHOOK_EVENT_TYPES),
    py("payload", {}), py("status", enum("pending", "succeeded", "failed")), py("attempt_count", INTEGER),
    py("next_attempt_at", NULL_TIME), py("last_status_code", NULL_INTEGER), py("last_error", NULL_STRING),
    py("attempts", array(ref("WebhookAttempt"))), py("created_at", TIME), py("updated_at", TIME),
))
OBJECTS = (TICKET_TYPE, PUBLIC_TICKET_TYPE, EVENT, PUBLIC_EVENT, LINE_ITEM, ORDER, ATTENDEE,
           WEBHOOK_SUBSCRIPTION, WEBHOOK_SUBSCRIPTION_CREATED, WEBHOOK_ATTEMPT, DELIVERY)


# --- what each GET reads in its one statement (core.reads) ------------------------------------------


def _types(obj: WireObject, field: str, where: str = "") -> Child:
    """An event's ticket types (``e``'s), in display order."""
    return Child(field, obj.projection, "ticket_types tt", "tt.event_id", "tt.sort_order, tt.id", where)


EVENT_READ = Shape(EVENT.projection, (_types(TICKET_TYPE, "ticket_types"),))
# what anyone may see: only the public types (no access code, not hidden)
PUBLIC_EVENT_READ = Shape(PUBLIC_EVENT.projection,
                          (_types(PUBLIC_TICKET_TYPE, "ticket_types", dict(_TYPE_HIDDEN)["_public"]),))
TICKET_TYPES_READ = Shape(Projection((("data", "NULL"),)), (_types(TICKET_TYPE, "data"),))
ORDER_READ = Shape(ORDER.projection, (
    Child("line_items", LINE_ITEM.projection, "order_line_items li", "li.order_id", "li.id"),))
ATTENDEE_READ = Shape(ATTENDEE.projection)
DELIVERY_READ = Shape(Projection((("_attempts", "NULL"),)), (
    Child("_attempts", WEBHOOK_ATTEMPT.projection, "webhook_attempts a", "a.delivery_id", "a.id"),),
    raw=DELIVERY_COLUMNS)


# --- nesting -------------------------------------------------------------------------------------------

def events(rows: list[Any], base: str, *, public: bool = False) -> list[dict[str, Any]]:
    """Events (rows of EVENT_READ, or PUBLIC_EVENT_READ: their ticket types nested) with their public URLs."""
    out = (PUBLIC_EVENT_READ if public else EVENT_READ).objects(rows)
    for row, e in zip(rows, out, strict=True):
        e["url"] = f"{base}/{row['_slug']}"
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
    if with_secret:
        data["secret"] = row["secret"]
    return data


def delivery(row: Any, livemode: bool) -> dict[str, Any]:
    """A delivery (a row of DELIVERY_READ: its attempts as WEBHOOK_ATTEMPT objects)."""
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
        "attempts": row["_attempts"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }
