"""The dialect's OpenAPI 3.1 document, built from small schema helpers.

Objects are closed (``additionalProperties: false``) so the tests that validate real
responses against these schemas catch any drift between the serializers and this file.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dialects.tickettailor.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dialects.tickettailor.serializers import EVENT_STATUS, ORDER_STATUS, TICKET_TYPE_STATUS

Schema = dict[str, Any]

CURRENCIES = ("gbp", "usd", "eur", "sgd", "aud", "brl", "cad", "czk", "dkk", "hkd", "huf", "ils", "jpy",
              "myr", "mxn", "nok", "nzd", "php", "pln", "rub", "sek", "chf", "twd", "thb", "try")
BOOL_STRING: Schema = {"type": "string", "enum": ["true", "false"]}
STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NULL_STRING: Schema = {"type": ["string", "null"]}
NULL_INTEGER: Schema = {"type": ["integer", "null"]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(dict.fromkeys(values))}


def prefixed(prefix: str, nullable: bool = False) -> Schema:
    return {"type": ["string", "null"] if nullable else "string", "pattern": f"^{prefix}[0-9]+$"}


def tagged(name: str, prefix: str, fields: dict[str, Schema]) -> Schema:
    return obj({"object": {"const": name}, "id": prefixed(prefix), **fields})


DATE = obj({"date": STRING, "formatted": STRING, "iso": STRING, "time": STRING, "timezone": STRING,
            "unix": INTEGER})
QUESTION = obj({"question": STRING, "answer": NULL_STRING})
PAYMENT_METHOD = obj({"external_id": NULL_STRING, "id": prefixed("pm_", nullable=True),
                      "instructions": NULL_STRING, "name": NULL_STRING,
                      "type": enum("stripe", "paypal", "offline", "operator", "no_cost")})
TICKET_TYPE = tagged("ticket_type", "tt_", {
    "access_code": NULL_STRING, "booking_fee": INTEGER, "description": NULL_STRING,
    "group_id": prefixed("tg_", nullable=True), "max_per_order": INTEGER, "min_per_order": INTEGER,
    "name": STRING, "price": INTEGER, "sort_order": INTEGER, "type": enum("paid", "free"),
    "status": enum("on_sale", "sold_out", "unavailable", "hidden", "admin_only", "locked",
                   *TICKET_TYPE_STATUS.values()),
    "quantity": INTEGER,
})
TICKET_GROUP = obj({"id": prefixed("tg_"), "max_per_order": NULL_INTEGER, "name": STRING,
                    "sort_order": INTEGER, "ticket_ids": array(prefixed("tt_"))})
EVENT = tagged("event", "ev_", {
    "access_code": NULL_STRING, "call_to_action": STRING, "created_at": INTEGER,
    "currency": {"type": "string", "pattern": "^[a-z]{3}$", "examples": list(CURRENCIES)},
    "description": NULL_STRING, "end": ref("DateObject"),
    "images": obj({"header": NULL_STRING, "thumbnail": NULL_STRING}), "name": STRING,
    "online_event": BOOL_STRING, "payment_methods": array(ref("PaymentMethod")), "private": BOOL_STRING,
    "start": ref("DateObject"),
    "status": enum("draft", "published", "off_sale_temporarily", "close_sales", *EVENT_STATUS.values()),
    "ticket_groups": array(ref("TicketGroup")), "ticket_types": array(ref("TicketType")),
    "tickets_available": BOOL_STRING, "timezone": STRING, "total_issued_tickets": INTEGER,
    "total_orders": INTEGER, "url": STRING, "venue": obj({"name": NULL_STRING, "postal_code": NULL_STRING}),
})
ISSUED_TICKET = tagged("issued_ticket", "it_", {
    "barcode": STRING, "barcode_url": STRING, "checked_in": BOOL_STRING, "created_at": INTEGER,
    "custom_questions": array(ref("CustomQuestion")), "description": STRING, "email": NULL_STRING,
    "event_id": prefixed("ev_"), "full_name": NULL_STRING, "first_name": NULL_STRING,
    "last_name": NULL_STRING, "reference": NULL_STRING, "reservation": NULL_STRING,
    "status": enum("valid", "void"), "ticket_type_id": prefixed("tt_", nullable=True),
    "updated_at": INTEGER, "voided_at": NULL_INTEGER, "order_id": prefixed("or_"), "qr_code_url": STRING,
})
LINE_ITEM = tagged("line_item", "li_", {
    "booking_fee": INTEGER, "description": STRING,
    "type": enum("ticket", "transaction_charge", "void", "tax", "gift_card", "donation"),
    "total": INTEGER, "value": INTEGER, "quantity": INTEGER,
})
ADDRESS = obj({"address_1": NULL_STRING, "address_2": NULL_STRING, "address_3": NULL_STRING,
               "postal_code": NULL_STRING})
ORDER = tagged("order", "or_", {
    "buyer_details": obj({"address": ADDRESS, "custom_questions": array(ref("CustomQuestion")),
                          "email": STRING, "name": STRING, "phone": NULL_STRING}),
    "created_at": INTEGER,
    "currency": obj({"code": {"type": "string", "pattern": "^[a-z]{3}$", "examples": list(CURRENCIES)},
                     "base_multiplier": INTEGER}),
    "event_summary": obj({"id": prefixed("ev_"), "end_date": ref("DateObject"), "name": STRING,
                          "start_date": ref("DateObject")}),
    "issued_tickets": array(ref("IssuedTicket")), "line_items": array(ref("LineItem")),
    "payment_method": ref("PaymentMethod"), "refund_amount": INTEGER,
    "status": enum("completed", "pending", "cancelled", *ORDER_STATUS.values()),
    "status_message": NULL_STRING, "subtotal": INTEGER, "tax": INTEGER, "total": INTEGER,
    "txn_id": NULL_STRING,
})
ERROR = {
    "type": "object", "required": ["status", "error_code", "message"], "additionalProperties": False,
    "properties": {"status": INTEGER, "error_code": STRING, "message": STRING,
                   "errors": array(obj({"field": STRING, "messages": array(STRING)}))},
}
LINKS = obj({"next": NULL_STRING, "previous": NULL_STRING})
SCHEMAS: dict[str, Schema] = {
    "DateObject": DATE, "CustomQuestion": QUESTION, "PaymentMethod": PAYMENT_METHOD,
    "TicketType": TICKET_TYPE, "TicketGroup": TICKET_GROUP, "Event": EVENT, "IssuedTicket": ISSUED_TICKET,
    "LineItem": LINE_ITEM, "Order": ORDER, "Error": ERROR, "Links": LINKS,
    "EventList": obj({"data": array(ref("Event")), "links": ref("Links")}),
    "OrderList": obj({"data": array(ref("Order")), "links": ref("Links")}),
    "IssuedTicketList": obj({"data": array(ref("IssuedTicket")), "links": ref("Links")}),
    "Ping": obj({"version": STRING}),
}


def query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def path(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": STRING, "description": description}


PAGING = [
    query("starting_after", STRING, "Object id (e.g. or_123): the page after this object"),
    query("ending_before", STRING, "Object id: the page before this object (wins over starting_after)"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
          "Items per page"),
]
CREATED = [query(name, INTEGER, f"Unix timestamp filter on created_at ({name})")
           for name in ("created_at", "created_at.gt", "created_at.gte", "created_at.lt", "created_at.lte")]
TICKET_FILTERS = [
    query("event_id", STRING, "Event id (ev_12 or 12)"),
    query("order_id", STRING, "Order id (or_12 or 12)"),
    query("barcode", STRING, "Barcode (event_id must also be given)"),
    query("status", enum("valid", "void"), "Ticket status"),
    query("email", STRING, "Attendee email (case-insensitive)"),
]
ERROR_STATUSES = {"400": "Bad Request", "401": "Unauthorized", "403": "Forbidden", "404": "Not Found",
                  "422": "Validation error", "429": "Too Many Requests"}
RATE_HEADERS = {name: {"schema": INTEGER, "description": text} for name, text in (
    ("X-Rate-Limit-Limit", "Requests allowed per hour"),
    ("X-Rate-Limit-Remaining", "Requests left in the current window"),
    ("X-Rate-Limit-Reset", "Seconds left in the current window"),
)}


def operation(op_id: str, summary: str, schema: str, parameters: list[Schema]) -> Schema:
    errors = {code: {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
              for code, text in ERROR_STATUSES.items()}
    ok = {"description": "OK", "headers": RATE_HEADERS,
          "content": {"application/json": {"schema": ref(schema)}}}
    return {"get": {"operationId": op_id, "summary": summary, "parameters": parameters,
                    "responses": {"200": ok, **errors}}}


PATHS: dict[str, Schema] = {
    "/v1/ping": operation("ping", "Check the server is responsive", "Ping", []),
    "/v1/events": operation("listEvents", "List all events", "EventList", PAGING),
    "/v1/events/{event_id}": operation("getEvent", "Retrieve an event", "Event",
                                       [path("event_id", "Event id (ev_12)")]),
    "/v1/orders": operation("listOrders", "List all orders", "OrderList", PAGING + CREATED),
    "/v1/orders/{order_id}": operation("getOrder", "Retrieve an order", "Order",
                                       [path("order_id", "Order id (or_12)")]),
    "/v1/issued_tickets": operation("listIssuedTickets", "List all issued tickets", "IssuedTicketList",
                                    PAGING + CREATED + TICKET_FILTERS),
    "/v1/issued_tickets/{issued_ticket_id}": operation(
        "getIssuedTicket", "Retrieve an issued ticket", "IssuedTicket",
        [path("issued_ticket_id", "Issued ticket id (it_12)")]),
}


@lru_cache(maxsize=16)
def document(root_path: str = "") -> Schema:
    """The document; ``root_path`` (the mount prefix) makes the server URL right."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ticket Tailor API (ticketgate)", "version": "v1",
                 "description": "Ticket Tailor's public API served by ticketgate."},
        "servers": [{"url": root_path or "/"}],
        "security": [{"basicAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic",
                                              "description": "The API key as username, no password"}},
        },
    }
