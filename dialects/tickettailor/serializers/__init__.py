"""Ticket Tailor's objects and enums, declared once, and the nesting of children.

Each object is a ``WireObject`` (dialects.spec): its fields in the vendor's order, each with
the SQL that renders it, its JSON Schema and the core field the client reads it back into.
The projection (queries.py), the OpenAPI schema (openapi.py) and the client's parser
(client.py) are all derived from these tables, so a field added here appears in all three.

PostgreSQL renders ids, unix times, enum mappings and the "true"/"false" strings; Python
nests children, builds the small fixed sub-objects and the date objects (dates.py), and
works out the event fields that depend on its ticket types. A field Python fills is still
selected (as ``NULL``) so the row's dict keeps the vendor's field order on the wire.

Wire types follow the real API: unix integer timestamps, integer money and counts,
lowercase currency codes, and the *strings* "true"/"false" for boolean-like fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.events import available_sql, on_sale_now_sql
from core.listing import keyset_columns
from core.projection import sql_flag, sql_prefixed, sql_text, sql_unix
from core.reads import BOX_OFFICE, NOW, Child, Shape
from dialects.schema import (
    BOOL_STRING,
    INTEGER,
    NULL_INTEGER,
    NULL_STRING,
    STRING,
    Schema,
    array,
    const,
    enum,
    prefixed,
    ref,
)
from dialects.spec import Field, WireEnum, WireObject
from dialects.tickettailor.dates import date_object

# --- the enums ---------------------------------------------------------------------------------
# core value -> wire value; listed in the order the vendor documents the wire values

# "off_sale_temporarily" is derived from the ticket types (events() below); "close_sales"
# covers cancelled, completed and archived and reads back as "cancelled" (no longer selling)
EVENT_STATUS = WireEnum(
    {"draft": "draft", "published": "published", "sold_out": "published", "cancelled": "close_sales",
     "completed": "close_sales", "archived": "close_sales"},
    from_wire={"draft": "draft", "published": "published", "close_sales": "cancelled",
               "off_sale_temporarily": "published"},
    extra=("off_sale_temporarily",),
)
# "hidden" is on sale behind a flag and "sold_out" is on sale without stock: both read back as on sale
TICKET_TYPE_STATUS = WireEnum(
    {"on_sale": "on_sale", "sold_out": "sold_out", "off_sale": "unavailable", "hidden": "hidden",
     "admin_only": "admin_only", "locked": "locked"},
    from_wire={"on_sale": "on_sale", "unavailable": "off_sale", "sold_out": "on_sale", "hidden": "on_sale",
               "admin_only": "admin_only", "locked": "locked"},
)
# the vendor has no "refunded": a refunded order is cancelled with the message "Refunded"
ORDER_STATUS = WireEnum({"completed": "completed", "pending": "pending", "cancelled": "cancelled",
                         "refunded": "cancelled"})
TICKET_STATUS = WireEnum({"valid": "valid", "void": "void"})
# "product": an add-on sold with the order (core products); the reference page lists the other six
LINE_ITEM_TYPES = ("ticket", "transaction_charge", "void", "tax", "gift_card", "donation", "product")
PAYMENT_TYPES = ("stripe", "paypal", "offline", "operator", "no_cost")
CURRENCIES = ("gbp", "usd", "eur", "sgd", "aud", "brl", "cad", "czk", "dkk", "hkd", "huf", "ils", "jpy",
              "myr", "mxn", "nok", "nzd", "php", "pln", "rub", "sek", "chf", "twd", "thb", "try")
CURRENCY_CODE: Schema = {"type": "string", "pattern": "^[a-z]{3}$", "examples": list(CURRENCIES)}
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})
ADDRESS_LINES = ("address_1", "address_2", "address_3", "postal_code")
Objects = list[dict[str, Any]]


# --- reading wire values back (the client's parser) --------------------------------------------

def from_unix(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def flag(value: Any) -> bool | None:
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _date(value: Any) -> str | None:
    return from_unix(value.get("unix")) if isinstance(value, dict) else None


def _visibility(value: Any) -> str | None:
    # "private" cannot tell unlisted from private: read back as unlisted (reachable by link)
    private = flag(value)
    return None if private is None else ("unlisted" if private else "public")


def _currency(value: Any) -> str | None:
    return (value.upper() or None) if isinstance(value, str) else None


# --- the objects -------------------------------------------------------------------------------

def _tag(name: str, prefix: str, column: str, core: str | None = "source_id") -> tuple[Field, Field]:
    """The ``object`` and ``id`` fields every top-level object opens with."""
    return (Field("object", sql_text(name), const(name)),
            Field("id", sql_prefixed(prefix, column), prefixed(prefix), core))


def _python(name: str, fields: dict[str, Schema], core: dict[str, str] | None = None) -> WireObject:
    """A fixed sub-object Python builds from hidden columns: declared for its schema and parser."""
    core = core or {}
    return WireObject(name, tuple(Field(n, None, s, core.get(n)) for n, s in fields.items()))


DATE_OBJECT = _python("DateObject", {"date": STRING, "formatted": STRING, "iso": STRING, "time": STRING,
                                     "timezone": STRING, "unix": INTEGER})
CUSTOM_QUESTION = _python("CustomQuestion", {"question": STRING, "answer": NULL_STRING})
PAYMENT_METHOD = _python("PaymentMethod", {
    "external_id": NULL_STRING, "id": prefixed("pm_", null=True), "instructions": NULL_STRING,
    "name": NULL_STRING, "type": enum(*PAYMENT_TYPES)}, {"type": "payment_method"})
IMAGES = _python("Images", {"header": NULL_STRING, "thumbnail": NULL_STRING},
                 {"header": "image_header", "thumbnail": "image_thumbnail"})
VENUE = _python("Venue", {"name": NULL_STRING, "postal_code": NULL_STRING},
                {"name": "venue_name", "postal_code": "postal_code"})
ADDRESS = _python("Address", dict.fromkeys(ADDRESS_LINES, NULL_STRING))
BUYER_DETAILS = _python("BuyerDetails", {
    "address": ADDRESS.schema(), "custom_questions": array(ref("CustomQuestion")), "email": STRING,
    "name": STRING, "phone": NULL_STRING,
}, {"address": "buyer_address", "custom_questions": "custom_questions", "email": "buyer_email",
    "name": "buyer_name", "phone": "buyer_phone"})
EVENT_SUMMARY = _python("EventSummary", {"id": prefixed("ev_"), "end_date": ref("DateObject"), "name": STRING,
                                         "start_date": ref("DateObject")}, {"id": "event_id"})
CURRENCY = WireObject("Currency", (Field("code", None, CURRENCY_CODE, "currency", _currency),
                                   Field("base_multiplier", None, INTEGER)))


def issued_ticket(base_url: str) -> WireObject:
    """Issued tickets carry code image URLs under the public base URL: the dialect builds this
    once from its services (the vendor's "qr" for barcode_url, "st" for qr_code_url)."""
    codes = " || '/attendee/' || t.id || '/' || t.barcode"
    return WireObject("IssuedTicket", (
        *_tag("issued_ticket", "it_", "t.id"),
        Field("barcode", "t.barcode", STRING, "barcode"),
        Field("barcode_url", sql_text(f"{base_url}/tickettailor/barcode/qr") + codes, STRING),
        Field("checked_in", sql_flag("t.checked_in_at IS NOT NULL"), BOOL_STRING, "checked_in", flag),
        Field("created_at", sql_unix("t.created_at"), INTEGER, "created_at", from_unix),
        Field("custom_questions", "t.custom_questions", array(ref("CustomQuestion")), "custom_questions"),
        Field("description", "t.description", STRING, "description"),
        Field("email", "t.email", NULL_STRING, "email"),
        Field("event_id", sql_prefixed("ev_", "t.event_id"), prefixed("ev_"), "event_id"),
        Field("event_series_id", "(SELECT 'es_' || x.series_id FROM events x WHERE x.id = t.event_id)",
              prefixed("es_"), "series_id"),
        Field("full_name", "CASE WHEN t.first_name <> '' AND t.last_name <> ''"
                           " THEN t.first_name || ' ' || t.last_name"
                           " ELSE coalesce(nullif(t.first_name, ''), nullif(t.last_name, '')) END", NULL_STRING),
        Field("first_name", "t.first_name", NULL_STRING, "first_name"),
        Field("last_name", "t.last_name", NULL_STRING, "last_name"),
        Field("reference", "t.reference", NULL_STRING, "reference"),
        Field("reservation", "NULL", NULL_STRING),
        Field("status", "t.status", TICKET_STATUS.schema(), "status"),
        Field("ticket_type_id", sql_prefixed("tt_", "t.ticket_type_id"), prefixed("tt_", null=True),
              "ticket_type_id"),
        Field("updated_at", sql_unix("t.updated_at"), INTEGER, "updated_at", from_unix),
        Field("voided_at", sql_unix("t.voided_at"), NULL_INTEGER, "voided_at", from_unix),
        Field("order_id", sql_prefixed("or_", "t.order_id"), prefixed("or_"), "order_id"),
        Field("qr_code_url", sql_text(f"{base_url}/tickettailor/barcode/st") + codes, STRING),
    ), hidden=(*keyset_columns("t"), ("_order", "t.order_id")))


LINE_ITEM = WireObject("LineItem", (
    *_tag("line_item", "li_", "li.id", core=None),  # the client matches line items by description
    Field("booking_fee", "li.booking_fee", INTEGER, "booking_fee"),
    Field("description", "li.description", STRING, "description"),
    Field("type", "li.type", enum(*LINE_ITEM_TYPES), "type"),
    Field("total", "li.total", INTEGER, "total"),
    Field("value", "li.value", INTEGER, "value"),
    Field("quantity", "li.quantity", INTEGER, "quantity"),
), hidden=(("_order", "li.order_id"),))

# orders are read with their event (core.listing.ORDERS joins it as "e")
ORDER = WireObject("Order", (
    *_tag("order", "or_", "o.id"),
    Field("buyer_details", "NULL", BUYER_DETAILS.schema()),
    Field("created_at", sql_unix("o.created_at"), INTEGER, "created_at", from_unix),
    Field("currency", "NULL", CURRENCY.schema()),
    Field("event_summary", "NULL", EVENT_SUMMARY.schema()),
    Field("issued_tickets", "NULL", array(ref("IssuedTicket"))),
    Field("line_items", "NULL", array(ref("LineItem"))),
    Field("payment_method", "NULL", ref("PaymentMethod")),
    Field("refund_amount", "o.refund_amount", INTEGER, "refund_amount"),
    Field("status", ORDER_STATUS.sql("o.status"), ORDER_STATUS.schema(), "status", ORDER_STATUS.parse),
    Field("status_message", "CASE WHEN o.status = 'refunded' AND coalesce(o.status_message, '') = ''"
                            " THEN 'Refunded' ELSE o.status_message END", NULL_STRING),
    Field("subtotal", "o.total - o.tax", INTEGER),  # "sum without tax": tickets and booking fees
    Field("tax", "o.tax", INTEGER, "tax"),
    Field("total", "o.total", INTEGER, "total"),
    Field("txn_id", "o.txn_id", NULL_STRING, "txn_id"),
), hidden=(
    *keyset_columns("o"),
    *((f"_{line}", f"o.buyer_address ->> '{line}'") for line in ADDRESS_LINES),
    ("_questions", "o.custom_questions"), ("_email", "o.buyer_email"), ("_name", "o.buyer_name"),
    ("_phone", "o.buyer_phone"), ("_currency", "lower(o.currency)"),
    ("_multiplier", f"CASE WHEN o.currency IN ({', '.join(sql_text(c) for c in sorted(ZERO_DECIMAL))})"
                    " THEN 1 ELSE 100 END"),
    ("_event", sql_prefixed("ev_", "o.event_id")), ("_event_name", "e.title"), ("_starts", "e.starts_at"),
    ("_ends", "coalesce(e.ends_at, e.starts_at)"), ("_zone", "e.timezone"),
    ("_pm_external", "o.payment_external_id"),
    ("_pm_id", "CASE WHEN o.payment_method = 'stripe' THEN 'pm_' || o.box_office_id END"),
    ("_pm_type", "o.payment_method"),
))

_TYPE_AVAILABLE = available_sql("tt")
TICKET_TYPE = WireObject("TicketType", (
    *_tag("ticket_type", "tt_", "tt.id"),
    Field("access_code", "tt.access_code", NULL_STRING, "access_code"),
    Field("booking_fee", "tt.booking_fee", INTEGER, "booking_fee"),
    Field("description", "tt.description", NULL_STRING, "description"),
    Field("group_id", sql_prefixed("tg_", "tt.group_id"), prefixed("tg_", null=True), "group_id"),
    Field("max_per_order", "tt.max_per_order", INTEGER, "max_per_order"),
    Field("min_per_order", "tt.min_per_order", INTEGER, "min_per_order"),
    Field("name", "tt.name", STRING, "name"),
    Field("price", "tt.price", INTEGER, "price"),
    Field("status", "CASE WHEN tt.status = 'on_sale' AND tt.hidden THEN 'hidden'"
                    f" WHEN tt.status = 'on_sale' AND {_TYPE_AVAILABLE} = 0 THEN 'sold_out'"
                    f" ELSE {TICKET_TYPE_STATUS.sql('tt.status')} END",
          TICKET_TYPE_STATUS.schema(), "status", TICKET_TYPE_STATUS.parse),
    Field("sort_order", "tt.sort_order", INTEGER, "sort_order"),
    Field("type", "CASE WHEN tt.price > 0 THEN 'paid' ELSE 'free' END", enum("paid", "free")),
    Field("quantity", _TYPE_AVAILABLE, INTEGER, "available"),  # "Number available for purchase"
), hidden=(
    ("_event", "tt.event_id"),
    ("_off_sale", "tt.status = 'off_sale'"),
    # NOW: the clock's time (core.reads binds it)
    ("_buyable", f"{on_sale_now_sql('tt', NOW)} AND {_TYPE_AVAILABLE} > 0"),
))

TICKET_GROUP = WireObject("TicketGroup", (
    Field("id", sql_prefixed("tg_", "g.id"), prefixed("tg_")),
    Field("max_per_order", "g.max_per_order", NULL_INTEGER),
    Field("name", "g.name", STRING),
    Field("sort_order", "g.sort_order", INTEGER),
    Field("ticket_ids", "array(SELECT 'tt_' || x.id FROM ticket_types x"
                        " WHERE x.group_id = g.id AND x.event_id = g.event_id ORDER BY x.sort_order, x.id)",
          array(prefixed("tt_"))),
), hidden=(("_event", "g.event_id"),))

EVENT = WireObject("Event", (
    *_tag("event", "ev_", "e.id"),
    Field("access_code", "e.access_code", NULL_STRING, "access_code"),
    Field("call_to_action", "coalesce(nullif(e.call_to_action, ''), 'Buy tickets')", STRING, "call_to_action"),
    Field("created_at", sql_unix("e.created_at"), INTEGER, "created_at", from_unix),
    Field("currency", "lower(e.currency)", CURRENCY_CODE, "currency", _currency),
    Field("description", "e.description", NULL_STRING, "description"),
    Field("end", "NULL", ref("DateObject"), "ends_at", _date),
    Field("event_series_id", sql_prefixed("es_", "e.series_id"), prefixed("es_"), "series_id"),
    Field("images", "NULL", IMAGES.schema()),
    Field("name", "e.title", STRING, "title"),
    Field("online_event", sql_flag("e.online"), BOOL_STRING, "online", flag),
    Field("payment_methods", "NULL", array(ref("PaymentMethod"))),
    Field("private", sql_flag("e.visibility <> 'public'"), BOOL_STRING, "visibility", _visibility),
    Field("start", "NULL", ref("DateObject"), "starts_at", _date),
    Field("status", EVENT_STATUS.sql("e.status"), EVENT_STATUS.schema(), "status", EVENT_STATUS.parse),
    Field("ticket_groups", "NULL", array(ref("TicketGroup"))),
    Field("ticket_types", "NULL", array(ref("TicketType"))),
    Field("tickets_available", "NULL", BOOL_STRING),
    Field("timezone", "e.timezone", STRING, "timezone"),
    Field("total_issued_tickets", "(SELECT count(*) FROM issued_tickets x WHERE x.event_id = e.id)", INTEGER),
    Field("total_orders", "(SELECT count(*) FROM orders x WHERE x.event_id = e.id)", INTEGER),
    Field("url", "NULL", STRING, "url"),  # the caller's box office and the event's slug
    Field("venue", "NULL", VENUE.schema()),
), hidden=(
    *keyset_columns("e"), ("_status", "e.status"), ("_slug", "e.slug"), ("_zone", "e.timezone"),
    ("_starts", "e.starts_at"),
    ("_ends", "coalesce(e.ends_at, e.starts_at)"), ("_header", "e.image_header"),
    ("_thumbnail", "e.image_thumbnail"), ("_venue", "e.venue_name"), ("_postal_code", "e.postal_code"),
))


# --- what each GET reads in its one statement (core.reads) -----------------------------------------

_TYPE_HIDDEN = dict(TICKET_TYPE.hidden)
# an event's types, and over the same rows whether one can be bought now and one is not off sale
_TYPES = Child("ticket_types", TICKET_TYPE.projection, "ticket_types tt", "tt.event_id", "tt.sort_order, tt.id",
               aggregates=(("_types", "count(*)", "0"), ("_buyable", f"bool_or({_TYPE_HIDDEN['_buyable']})", "false"),
                           ("_selling", f"bool_or(NOT ({_TYPE_HIDDEN['_off_sale']}))", "false")))
_GROUPS = Child("ticket_groups", TICKET_GROUP.projection, "ticket_groups g", "g.event_id", "g.sort_order, g.id")
# payment methods: the box office's flag, one subquery per statement (it names no column of the row)
EVENT_READ = Shape(EVENT.projection, (_TYPES, _GROUPS), hidden=(
    ("_payments", f"(SELECT b.payments_connected FROM box_offices b WHERE b.id = {BOX_OFFICE})"),))


def order_read(ticket: WireObject) -> Shape:
    """Orders with their line items and issued tickets (``ticket``: the dialect's issued ticket)."""
    return Shape(ORDER.projection, (
        Child("issued_tickets", ticket.projection, "issued_tickets t", "t.order_id", "t.id"),
        Child("line_items", LINE_ITEM.projection, "order_line_items li", "li.order_id", "li.id"),
    ))


# --- nesting and the fields Python completes ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Context:
    """What serializing needs beyond the rows: the caller's box office and the clock."""

    base_url: str
    box_office_id: int
    box_office_slug: str
    now: datetime


def payment_methods(ctx: Context, connected: bool) -> list[dict[str, Any]]:
    # core knows only whether card payments are connected: that is one Stripe method
    if not connected:
        return []
    return [{"external_id": None, "id": f"pm_{ctx.box_office_id}", "instructions": None,
             "name": None, "type": "stripe"}]


def orders(rows: Sequence[Any], shape: Shape) -> Objects:
    """Orders (rows of ``order_read``: line items and issued tickets nested)."""
    out = shape.objects(rows)
    for row, o in zip(rows, out, strict=True):
        zone = row["_zone"]
        o["buyer_details"] = {
            "address": {"address_1": row["_address_1"], "address_2": row["_address_2"],
                        "address_3": row["_address_3"], "postal_code": row["_postal_code"]},
            "custom_questions": row["_questions"], "email": row["_email"], "name": row["_name"],
            "phone": row["_phone"],
        }
        o["currency"] = {"code": row["_currency"], "base_multiplier": row["_multiplier"]}
        o["event_summary"] = {"id": row["_event"], "end_date": date_object(row["_ends"], zone),
                              "name": row["_event_name"], "start_date": date_object(row["_starts"], zone)}
        o["payment_method"] = {"external_id": row["_pm_external"], "id": row["_pm_id"], "instructions": None,
                               "name": None, "type": row["_pm_type"]}
    return out


def events(rows: Sequence[Any], ctx: Context, shape: Shape = EVENT_READ) -> Objects:
    """Events (rows of EVENT_READ, or of a shape over the same columns: ticket types and groups
    nested, with their figures)."""
    methods = payment_methods(ctx, bool(rows) and rows[0]["_payments"])
    url = f"{ctx.base_url}/events/{ctx.box_office_slug}/"
    out = shape.objects(rows)
    for row, e in zip(rows, out, strict=True):
        zone = row["_zone"]
        published = row["_status"] == "published"
        e["end"] = date_object(row["_ends"], zone)
        e["images"] = {"header": row["_header"], "thumbnail": row["_thumbnail"]}
        e["payment_methods"] = methods
        e["start"] = date_object(row["_starts"], zone)
        # a published event whose every ticket type is off sale is "off sale temporarily"
        if published and row["_types"] and not row["_selling"]:
            e["status"] = "off_sale_temporarily"
        e["tickets_available"] = "true" if published and row["_buyable"] else "false"
        e["url"] = url + row["_slug"]
        e["venue"] = {"name": row["_venue"], "postal_code": row["_postal_code"]}
    return out
