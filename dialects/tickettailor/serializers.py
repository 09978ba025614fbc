"""Core rows as Ticket Tailor objects, field for field as the vendor documents them.

Each object is a projection (core.projection): its flat fields are SQL expressions in the
vendor's field order, so PostgreSQL renders ids, unix times, enum mappings and the
"true"/"false" strings; Python nests children, builds the small fixed sub-objects and the
date objects (dates.py), and works out the event fields that depend on its ticket types.

Wire types follow the real API: unix integer timestamps, integer money and counts,
lowercase currency codes, and the *strings* "true"/"false" for boolean-like fields.
Enum mappings from core values are declared once below (and in docs/dialects/tickettailor.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.events import available_sql, on_sale_now_sql
from core.listing import KEY_ID, keyset_columns
from core.projection import Projection, sql_case, sql_flag, sql_prefixed, sql_text, sql_unix
from dialects.tickettailor.dates import date_object

# core event status -> Ticket Tailor event status ("off_sale_temporarily" is derived below)
EVENT_STATUS = {"draft": "draft", "published": "published", "sold_out": "published",
                "cancelled": "close_sales", "completed": "close_sales", "archived": "close_sales"}
# core ticket type status -> Ticket Tailor ticket type status
TICKET_TYPE_STATUS = {"on_sale": "on_sale", "off_sale": "unavailable", "sold_out": "sold_out",
                      "hidden": "hidden", "admin_only": "admin_only", "locked": "locked"}
# core order status -> Ticket Tailor order status (the vendor has no "refunded")
ORDER_STATUS = {"pending": "pending", "completed": "completed", "cancelled": "cancelled",
                "refunded": "cancelled"}
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})
ADDRESS_LINES = ("address_1", "address_2", "address_3", "postal_code")
Objects = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Context:
    """What serializing needs beyond the rows: the caller's box office and the clock."""

    base_url: str
    box_office_id: int
    box_office_slug: str
    payments_connected: bool
    now: datetime


def payment_methods(ctx: Context) -> list[dict[str, Any]]:
    # core knows only whether card payments are connected: that is one Stripe method
    if not ctx.payments_connected:
        return []
    return [{"external_id": None, "id": f"pm_{ctx.box_office_id}", "instructions": None,
             "name": None, "type": "stripe"}]


# --- the projections ---------------------------------------------------------------------------

def issued_ticket_projection(base_url: str) -> Projection:
    # the vendor's code image URLs ("qr" for barcode_url, "st" for qr_code_url) under our base
    codes = " || '/attendee/' || t.id || '/' || t.barcode"
    return Projection((
        ("object", "'issued_ticket'"),
        ("id", sql_prefixed("it_", "t.id")),
        ("barcode", "t.barcode"),
        ("barcode_url", sql_text(f"{base_url}/tickettailor/barcode/qr") + codes),
        ("checked_in", sql_flag("t.checked_in_at IS NOT NULL")),
        ("created_at", sql_unix("t.created_at")),
        ("custom_questions", "t.custom_questions"),
        ("description", "t.description"),
        ("email", "t.email"),
        ("event_id", sql_prefixed("ev_", "t.event_id")),
        ("full_name", "CASE WHEN t.first_name <> '' AND t.last_name <> '' THEN t.first_name || ' ' || t.last_name"
                      " ELSE coalesce(nullif(t.first_name, ''), nullif(t.last_name, '')) END"),
        ("first_name", "t.first_name"),
        ("last_name", "t.last_name"),
        ("reference", "t.reference"),
        ("reservation", "NULL"),
        ("status", "t.status"),
        ("ticket_type_id", sql_prefixed("tt_", "t.ticket_type_id")),
        ("updated_at", sql_unix("t.updated_at")),
        ("voided_at", sql_unix("t.voided_at")),
        ("order_id", sql_prefixed("or_", "t.order_id")),
        ("qr_code_url", sql_text(f"{base_url}/tickettailor/barcode/st") + codes),
    ), hidden=(*keyset_columns("t"), ("_order", "t.order_id")))


LINE_ITEM = Projection((
    ("object", "'line_item'"),
    ("id", sql_prefixed("li_", "li.id")),
    ("booking_fee", "li.booking_fee"),
    ("description", "li.description"),
    ("type", "li.type"),
    ("total", "li.total"),
    ("value", "li.value"),
    ("quantity", "li.quantity"),
), hidden=(("_order", "li.order_id"),))

# orders are read with their event (core.listing.ORDERS joins it as "e")
ORDER = Projection((
    ("object", "'order'"),
    ("id", sql_prefixed("or_", "o.id")),
    ("buyer_details", "NULL"),
    ("created_at", sql_unix("o.created_at")),
    ("currency", "NULL"),
    ("event_summary", "NULL"),
    ("issued_tickets", "NULL"),
    ("line_items", "NULL"),
    ("payment_method", "NULL"),
    ("refund_amount", "o.refund_amount"),
    ("status", sql_case("o.status", ORDER_STATUS)),
    ("status_message", "CASE WHEN o.status = 'refunded' AND coalesce(o.status_message, '') = '' THEN 'Refunded'"
                       " ELSE o.status_message END"),
    ("subtotal", "o.total - o.tax"),  # "sum without tax": tickets and booking fees
    ("tax", "o.tax"),
    ("total", "o.total"),
    ("txn_id", "o.txn_id"),
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
TICKET_TYPE = Projection((
    ("object", "'ticket_type'"),
    ("id", sql_prefixed("tt_", "tt.id")),
    ("access_code", "tt.access_code"),
    ("booking_fee", "tt.booking_fee"),
    ("description", "tt.description"),
    ("group_id", sql_prefixed("tg_", "tt.group_id")),
    ("max_per_order", "tt.max_per_order"),
    ("min_per_order", "tt.min_per_order"),
    ("name", "tt.name"),
    ("price", "tt.price"),
    ("status", f"CASE WHEN tt.status = 'on_sale' AND tt.hidden THEN 'hidden'"
               f" WHEN tt.status = 'on_sale' AND {_TYPE_AVAILABLE} = 0 THEN 'sold_out'"
               f" ELSE {sql_case('tt.status', TICKET_TYPE_STATUS)} END"),
    ("sort_order", "tt.sort_order"),
    ("type", "CASE WHEN tt.price > 0 THEN 'paid' ELSE 'free' END"),
    ("quantity", _TYPE_AVAILABLE),  # "Number available for purchase"
), hidden=(
    ("_event", "tt.event_id"),
    ("_off_sale", "tt.status = 'off_sale'"),
    # $2: the clock's now (core.events.ticket_types_for binds it)
    ("_buyable", f"{on_sale_now_sql('tt', '$2')} AND {_TYPE_AVAILABLE} > 0"),
))

TICKET_GROUP = Projection((
    ("id", sql_prefixed("tg_", "g.id")),
    ("max_per_order", "g.max_per_order"),
    ("name", "g.name"),
    ("sort_order", "g.sort_order"),
    ("ticket_ids", "array(SELECT 'tt_' || x.id FROM ticket_types x WHERE x.group_id = g.id AND x.event_id = g.event_id"
                   " ORDER BY x.sort_order, x.id)"),
), hidden=(("_event", "g.event_id"),))

EVENT = Projection((
    ("object", "'event'"),
    ("id", sql_prefixed("ev_", "e.id")),
    ("access_code", "e.access_code"),
    ("call_to_action", "coalesce(nullif(e.call_to_action, ''), 'Buy tickets')"),
    ("created_at", sql_unix("e.created_at")),
    ("currency", "lower(e.currency)"),
    ("description", "e.description"),
    ("end", "NULL"),
    ("images", "NULL"),
    ("name", "e.title"),
    ("online_event", sql_flag("e.online")),
    ("payment_methods", "NULL"),
    ("private", sql_flag("e.visibility <> 'public'")),
    ("start", "NULL"),
    ("status", sql_case("e.status", EVENT_STATUS)),
    ("ticket_groups", "NULL"),
    ("ticket_types", "NULL"),
    ("tickets_available", "NULL"),
    ("timezone", "e.timezone"),
    ("total_issued_tickets", "(SELECT count(*) FROM issued_tickets x WHERE x.event_id = e.id)"),
    ("total_orders", "(SELECT count(*) FROM orders x WHERE x.event_id = e.id)"),
    ("url", "NULL"),  # the caller's box office and the event's slug
    ("venue", "NULL"),
), hidden=(
    *keyset_columns("e"), ("_status", "e.status"), ("_slug", "e.slug"), ("_zone", "e.timezone"),
    ("_starts", "e.starts_at"),
    ("_ends", "coalesce(e.ends_at, e.starts_at)"), ("_header", "e.image_header"),
    ("_thumbnail", "e.image_thumbnail"), ("_venue", "e.venue_name"), ("_postal_code", "e.postal_code"),
))


# --- nesting and the fields Python completes ---------------------------------------------------

def orders(rows: Sequence[Any], items: Sequence[Any], tickets: Sequence[Any], ticket: Projection) -> Objects:
    items_by = LINE_ITEM.grouped(items, "_order")
    tickets_by = ticket.grouped(tickets, "_order")
    out = ORDER.objects(rows)
    for row, o in zip(rows, out, strict=True):
        order_id, zone = row[KEY_ID], row["_zone"]
        o["buyer_details"] = {
            "address": {"address_1": row["_address_1"], "address_2": row["_address_2"],
                        "address_3": row["_address_3"], "postal_code": row["_postal_code"]},
            "custom_questions": row["_questions"], "email": row["_email"], "name": row["_name"],
            "phone": row["_phone"],
        }
        o["currency"] = {"code": row["_currency"], "base_multiplier": row["_multiplier"]}
        o["event_summary"] = {"id": row["_event"], "end_date": date_object(row["_ends"], zone),
                              "name": row["_event_name"], "start_date": date_object(row["_starts"], zone)}
        o["issued_tickets"] = tickets_by.get(order_id, [])
        o["line_items"] = items_by.get(order_id, [])
        o["payment_method"] = {"external_id": row["_pm_external"], "id": row["_pm_id"], "instructions": None,
                               "name": None, "type": row["_pm_type"]}
    return out


def events(rows: Sequence[Any], types: Sequence[Any], groups: Sequence[Any], ctx: Context) -> Objects:
    # one pass over the ticket types: each event's objects, and the two facts its own fields need
    types_by: dict[int, list[dict[str, Any]]] = {}
    buyable: set[int] = set()  # events with a type on sale now with stock left
    selling: set[int] = set()  # events with a type that is not off sale
    for row, obj in zip(types, TICKET_TYPE.objects(types), strict=True):
        event_id = row["_event"]
        types_by.setdefault(event_id, []).append(obj)
        if row["_buyable"]:
            buyable.add(event_id)
        if not row["_off_sale"]:
            selling.add(event_id)
    groups_by = TICKET_GROUP.grouped(groups, "_event") if groups else {}
    methods = payment_methods(ctx)
    url = f"{ctx.base_url}/events/{ctx.box_office_slug}/"
    out = EVENT.objects(rows)
    for row, e in zip(rows, out, strict=True):
        event_id, zone = row[KEY_ID], row["_zone"]
        event_types = types_by.get(event_id, [])
        published = row["_status"] == "published"
        e["end"] = date_object(row["_ends"], zone)
        e["images"] = {"header": row["_header"], "thumbnail": row["_thumbnail"]}
        e["payment_methods"] = methods
        e["start"] = date_object(row["_starts"], zone)
        # a published event whose every ticket type is off sale is "off sale temporarily"
        if published and event_types and event_id not in selling:
            e["status"] = "off_sale_temporarily"
        e["ticket_groups"] = groups_by.get(event_id, [])
        e["ticket_types"] = event_types
        e["tickets_available"] = "true" if published and event_id in buyable else "false"
        e["url"] = url + row["_slug"]
        e["venue"] = {"name": row["_venue"], "postal_code": row["_postal_code"]}
    return out
