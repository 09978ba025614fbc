"""Core rows as Ticket Tailor objects, field for field as the vendor documents them.

Wire types follow the real API: unix integer timestamps, integer money and counts,
lowercase currency codes, and the *strings* "true"/"false" for boolean-like fields.
Enum mappings from core values are declared once below (and in docs/dialects/tickettailor.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.events import available, on_sale_now
from dialects.tickettailor.dates import date_object, unix

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


def flag(value: bool) -> str:
    return "true" if value else "false"


def currency(code: str) -> dict[str, Any]:
    return {"code": code.lower(), "base_multiplier": 1 if code.upper() in ZERO_DECIMAL else 100}


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


def ticket_type(row: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    return {
        "object": "ticket_type",
        "id": f"tt_{row['id']}",
        "access_code": row["access_code"],
        "booking_fee": row["booking_fee"],
        "description": row["description"],
        "group_id": f"tg_{row['group_id']}" if row["group_id"] is not None else None,
        "max_per_order": row["max_per_order"],
        "min_per_order": row["min_per_order"],
        "name": row["name"],
        "price": row["price"],
        "status": ticket_type_status(row),
        "sort_order": row["sort_order"],
        "type": "paid" if row["price"] > 0 else "free",
        "quantity": available(row),
    }


def ticket_type_status(row: Mapping[str, Any]) -> str:
    if row["status"] == "on_sale" and row["hidden"]:
        return "hidden"
    if row["status"] == "on_sale" and available(row) == 0:
        return "sold_out"
    return TICKET_TYPE_STATUS[row["status"]]


def ticket_group(row: Mapping[str, Any], types: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"tg_{row['id']}",
        "max_per_order": row["max_per_order"],
        "name": row["name"],
        "sort_order": row["sort_order"],
        "ticket_ids": [f"tt_{t['id']}" for t in types if t["group_id"] == row["id"]],
    }


def event_status(row: Mapping[str, Any], types: list[Mapping[str, Any]]) -> str:
    # a published event whose every ticket type is off sale is "off sale temporarily"
    if row["status"] == "published" and types and all(t["status"] == "off_sale" for t in types):
        return "off_sale_temporarily"
    return EVENT_STATUS[row["status"]]


def tickets_available(row: Mapping[str, Any], types: list[Mapping[str, Any]], now: datetime) -> bool:
    if row["status"] != "published":
        return False
    return any(on_sale_now(t, now) and available(t) > 0 for t in types)


def event(
    row: Mapping[str, Any], types: list[Mapping[str, Any]], groups: list[Mapping[str, Any]],
    totals: tuple[int, int], ctx: Context,
) -> dict[str, Any]:
    tz = row["timezone"]
    return {
        "object": "event",
        "id": f"ev_{row['id']}",
        "access_code": row["access_code"],
        "call_to_action": row["call_to_action"] or "Buy tickets",
        "created_at": unix(row["created_at"]),
        "currency": row["currency"].lower(),
        "description": row["description"],
        "end": date_object(row["ends_at"] or row["starts_at"], tz),
        "images": {"header": row["image_header"], "thumbnail": row["image_thumbnail"]},
        "name": row["title"],
        "online_event": flag(row["online"]),
        "payment_methods": payment_methods(ctx),
        "private": flag(row["visibility"] != "public"),
        "start": date_object(row["starts_at"], tz),
        "status": event_status(row, types),
        "ticket_groups": [ticket_group(g, types) for g in groups],
        "ticket_types": [ticket_type(t, ctx) for t in types],
        "tickets_available": flag(tickets_available(row, types, ctx.now)),
        "timezone": tz,
        "total_issued_tickets": totals[1],
        "total_orders": totals[0],
        "url": f"{ctx.base_url}/events/{ctx.box_office_slug}/{row['slug']}",
        "venue": {"name": row["venue_name"], "postal_code": row["postal_code"]},
    }


def full_name(row: Mapping[str, Any]) -> str | None:
    first, last = row["first_name"], row["last_name"]
    if first and last:
        return f"{first} {last}"
    return first or last or None


def issued_ticket(row: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    # five per order on every order page: the two code URLs share their tail, built once here;
    # "qr" for barcode_url and "st" for qr_code_url, as in the vendor's URLs
    codes = f"/attendee/{row['id']}/{row['barcode']}"
    return {
        "object": "issued_ticket",
        "id": f"it_{row['id']}",
        "barcode": row["barcode"],
        "barcode_url": f"{ctx.base_url}/tickettailor/barcode/qr{codes}",
        "checked_in": flag(row["checked_in_at"] is not None),
        "created_at": unix(row["created_at"]),
        "custom_questions": list(row["custom_questions"] or []),
        "description": row["description"],
        "email": row["email"],
        "event_id": f"ev_{row['event_id']}",
        "full_name": full_name(row),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "reference": row["reference"],
        "reservation": None,
        "status": row["status"],
        "ticket_type_id": f"tt_{row['ticket_type_id']}" if row["ticket_type_id"] is not None else None,
        "updated_at": unix(row["updated_at"]),
        "voided_at": unix(row["voided_at"]),
        "order_id": f"or_{row['order_id']}",
        "qr_code_url": f"{ctx.base_url}/tickettailor/barcode/st{codes}",
    }


def line_item(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "object": "line_item",
        "id": f"li_{row['id']}",
        "booking_fee": row["booking_fee"],
        "description": row["description"],
        "type": row["type"],
        "total": row["total"],
        "value": row["value"],
        "quantity": row["quantity"],
    }


def buyer_details(row: Mapping[str, Any]) -> dict[str, Any]:
    address = row["buyer_address"] or {}
    return {
        "address": {key: address.get(key) for key in ("address_1", "address_2", "address_3", "postal_code")},
        "custom_questions": list(row["custom_questions"] or []),
        "email": row["buyer_email"],
        "name": row["buyer_name"],
        "phone": row["buyer_phone"],
    }


def order_payment_method(row: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    method = row["payment_method"]
    return {
        "external_id": row["payment_external_id"],
        "id": f"pm_{ctx.box_office_id}" if method == "stripe" else None,
        "instructions": None,
        "name": None,
        "type": method,
    }


def event_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    tz = row["event_timezone"]
    return {
        "id": f"ev_{row['event_id']}",
        "end_date": date_object(row["event_ends_at"] or row["event_starts_at"], tz),
        "name": row["event_title"],
        "start_date": date_object(row["event_starts_at"], tz),
    }


def status_message(row: Mapping[str, Any]) -> str | None:
    if row["status"] == "refunded" and not row["status_message"]:
        return "Refunded"
    return row["status_message"]


def order(
    row: Mapping[str, Any], items: list[Mapping[str, Any]], tickets: list[Mapping[str, Any]], ctx: Context
) -> dict[str, Any]:
    return {
        "object": "order",
        "id": f"or_{row['id']}",
        "buyer_details": buyer_details(row),
        "created_at": unix(row["created_at"]),
        "currency": currency(row["currency"]),
        "event_summary": event_summary(row),
        "issued_tickets": [issued_ticket(t, ctx) for t in tickets],
        "line_items": [line_item(i) for i in items],
        "payment_method": order_payment_method(row, ctx),
        "refund_amount": row["refund_amount"],
        "status": ORDER_STATUS[row["status"]],
        "status_message": status_message(row),
        "subtotal": row["total"] - row["tax"],  # "sum without tax": tickets and booking fees
        "tax": row["tax"],
        "total": row["total"],
        "txn_id": row["txn_id"],
    }
