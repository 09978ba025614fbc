"""The dialect's OpenAPI 3.1 document, built from small schema helpers (served without auth)."""

from __future__ import annotations

from functools import cache
from typing import Any

Schema = dict[str, Any]


def _t(kind: str, nullable: bool = False, **extra: Any) -> Schema:
    return {"type": [kind, "null"] if nullable else kind, **extra}


def _obj(props: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {"type": "object", "properties": props, "required": list(props) if required is None else required}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


S, N, B = _t("string"), _t("integer"), _t("boolean")
SN, NN, TIME, TIMEN = (
    _t("string", True),
    _t("integer", True),
    _t("string", format="date-time"),
    _t("string", True, format="date-time"),
)


def _id(prefix: str, nullable: bool = False) -> Schema:
    return _t("string", nullable, pattern=f"^{prefix}_[0-9]+$")


TICKET_TYPE = _obj(
    {
        "id": _id("tkt"),
        "object": _t("string", enum=["ticket_type"]),
        "livemode": B,
        "event_id": _id("evt"),
        "name": S,
        "description": SN,
        "price": N,
        "booking_fee": N,
        "currency": _t("string", pattern="^[a-z]{3}$"),
        "quantity_total": N,
        "quantity_sold": N,
        "quantity_available": N,
        "min_per_order": N,
        "max_per_order": N,
        "sale_starts_at": TIMEN,
        "sale_ends_at": TIMEN,
        "hidden": B,
        "access_code": SN,
        "status": S,
        "sort_order": N,
        "created_at": TIME,
        "updated_at": TIME,
    }
)
EVENT_COMMON = {
    "id": _id("evt"),
    "object": _t("string", enum=["event"]),
    "title": S,
    "slug": S,
    "description": SN,
    "starts_at": TIME,
    "ends_at": TIMEN,
    "doors_open_at": TIMEN,
    "timezone": S,
    "venue_name": SN,
    "address": SN,
    "city": SN,
    "postal_code": SN,
    "country": SN,
    "online": B,
    "currency": _t("string", pattern="^[a-z]{3}$"),
    "category": S,
    "url": S,
    "image_header": SN,
    "image_thumbnail": SN,
    "call_to_action": SN,
    "status": _t("string", enum=["draft", "published", "sold_out", "cancelled", "completed", "archived"]),
}
EVENT = _obj(
    {
        **EVENT_COMMON,
        "livemode": B,
        "visibility": _t("string", enum=["public", "unlisted", "private"]),
        "access_code": SN,
        "ticket_types": {"type": "array", "items": ref("TicketType")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
PUBLIC_TICKET_TYPE = _obj(
    {
        "id": _id("tkt"),
        "object": _t("string", enum=["ticket_type"]),
        "name": S,
        "description": SN,
        "price": N,
        "booking_fee": N,
        "currency": S,
        "sold_out": B,
        "status": S,
        "sale_starts_at": TIMEN,
        "sale_ends_at": TIMEN,
    }
)
PUBLIC_EVENT = {
    **_obj({**EVENT_COMMON, "ticket_types": {"type": "array", "items": ref("PublicTicketType")}}),
    "additionalProperties": False,
}
LINE_ITEM = _obj(
    {
        "type": S,
        "ticket_type_id": _id("tkt", True),
        "name": S,
        "quantity": N,
        "subtotal": N,
        "booking_fee": N,
        "total": N,
    }
)
ORDER = _obj(
    {
        "id": _id("ord"),
        "object": _t("string", enum=["order"]),
        "livemode": B,
        "is_test_data": B,
        "event_id": _id("evt"),
        "status": _t("string", enum=["confirmed", "pending", "cancelled", "refunded"]),
        "buyer_name": S,
        "buyer_email": S,
        "buyer_phone": SN,
        "currency": S,
        "subtotal": N,
        "booking_fee": N,
        "tax": N,
        "total": N,
        "refunded_amount": N,
        "payment_method": S,
        "line_items": {"type": "array", "items": ref("LineItem")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
ATTENDEE = _obj(
    {
        "id": _id("att"),
        "object": _t("string", enum=["attendee"]),
        "livemode": B,
        "is_test_data": B,
        "event_id": _id("evt"),
        "order_id": _id("ord"),
        "ticket_type_id": _id("tkt", True),
        "ticket_type_name": S,
        "first_name": SN,
        "last_name": SN,
        "email": SN,
        "barcode": S,
        "status": _t("string", enum=["valid", "void"]),
        "checked_in": B,
        "checked_in_at": TIMEN,
        "created_at": TIME,
        "updated_at": TIME,
    }
)
EVENT_TYPES = ["order.placed", "order.refunded", "event.sold_out", "ticket.scanned"]
SUBSCRIPTION_PROPS = {
    "id": _id("whsub"),
    "object": _t("string", enum=["webhook_subscription"]),
    "livemode": B,
    "url": S,
    "event_types": {"type": "array", "items": _t("string", enum=EVENT_TYPES)},
    "description": SN,
    "enabled": B,
    "disabled_reason": SN,
    "created_at": TIME,
    "updated_at": TIME,
}
SUBSCRIPTION = {**_obj(SUBSCRIPTION_PROPS), "not": {"required": ["secret"]}}
SUBSCRIPTION_CREATED = _obj({**SUBSCRIPTION_PROPS, "secret": _t("string", pattern="^whsec_")})
ATTEMPT = _obj({"attempted_at": TIME, "status_code": NN, "duration_ms": N, "error": SN})
DELIVERY = _obj(
    {
        "id": _id("whdel"),
        "object": _t("string", enum=["webhook_delivery"]),
        "livemode": B,
        "subscription_id": _id("whsub"),
        "webhook_event_id": S,
        "event_type": _t("string", enum=EVENT_TYPES),
        "payload": {},
        "status": _t("string", enum=["pending", "succeeded", "failed"]),
        "attempt_count": N,
        "next_attempt_at": TIMEN,
        "last_status_code": NN,
        "last_error": SN,
        "attempts": {"type": "array", "items": ref("WebhookAttempt")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
ERROR = _obj(
    {
        "error": _obj(
            {
                "code": _t(
                    "string",
                    enum=[
                        "validation_error",
                        "unauthorized",
                        "forbidden",
                        "not_found",
                        "conflict",
                        "unprocessable",
                        "rate_limited",
                        "internal_error",
                        "api_terms_required",
                    ],
                ),
                "message": S,
                "request_id": S,
                "param": S,
                "doc_url": S,
            },
            ["code", "message", "request_id", "doc_url"],
        )
    }
)
DELETED = _obj({"id": S, "object": S, "livemode": B, "deleted": _t("boolean", enum=[True])})
RESET = _obj(
    {
        "object": _t("string", enum=["test_data_reset"]),
        "livemode": B,
        "deleted": {"type": "object", "additionalProperties": N},
    }
)


def list_of(name: str) -> Schema:
    return _obj({"livemode": B, "data": {"type": "array", "items": ref(name)}, "has_more": B, "next_cursor": SN})


SCHEMAS: dict[str, Schema] = {
    "TicketType": TICKET_TYPE,
    "Event": EVENT,
    "PublicTicketType": PUBLIC_TICKET_TYPE,
    "PublicEvent": PUBLIC_EVENT,
    "LineItem": LINE_ITEM,
    "Order": ORDER,
    "Attendee": ATTENDEE,
    "WebhookSubscription": SUBSCRIPTION,
    "WebhookSubscriptionCreated": SUBSCRIPTION_CREATED,
    "WebhookAttempt": ATTEMPT,
    "WebhookDelivery": DELIVERY,
    "Error": ERROR,
    "Deleted": DELETED,
    "TestDataReset": RESET,
    **{
        f"{name}List": list_of(name)
        for name in (
            "Event",
            "TicketType",
            "Order",
            "Attendee",
            "WebhookSubscription",
            "WebhookDelivery",
            "PublicEvent",
        )
    },
}
ERROR_STATUSES = {
    "400": "validation_error",
    "401": "unauthorized",
    "403": "forbidden or api_terms_required",
    "404": "not_found",
    "409": "conflict",
    "422": "unprocessable",
    "429": "rate_limited",
    "500": "internal_error",
}
PAGING = [
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]


def _param(name: str, where: str = "path", **schema: Any) -> Schema:
    return {"name": name, "in": where, "required": where == "path", "schema": {"type": "string", **schema}}


def _operation(summary: str, scope: str | None, status: str, schema: str | None, **extra: Any) -> Schema:
    responses: dict[str, Any] = {status: {"description": summary}}
    if schema:
        responses[status]["content"] = {"application/json": {"schema": ref(schema)}}
    for code, what in ERROR_STATUSES.items():
        responses[code] = {"description": what, "content": {"application/json": {"schema": ref("Error")}}}
    op: Schema = {"summary": summary, "responses": responses, **extra}
    if scope is None:
        op["security"] = []
    else:
        op["description"] = f"Requires the `{scope}` scope."
    return op


def _post(summary: str, scope: str, status: str, schema: str, body: bool = True, **extra: Any) -> Schema:
    params = extra.pop("parameters", [])
    params = [*params, _param("Idempotency-Key", "header", maxLength=256)]
    op = _operation(summary, scope, status, schema, parameters=params, **extra)
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    return op


EV, TT, SUB = _param("event_id"), _param("ticket_type_id"), _param("subscription_id")


def _paths() -> dict[str, Any]:
    return {
        "/events": {
            "get": _operation(
                "List events",
                "events:read",
                "200",
                "EventList",
                parameters=[*PAGING, _param("status", "query")],
            ),
            "post": _post("Create an event", "events:write", "201", "Event"),
        },
        "/events/{event_id}": {
            "get": _operation("Get an event", "events:read", "200", "Event", parameters=[EV]),
            "patch": _operation(
                "Update an event",
                "events:write",
                "200",
                "Event",
                parameters=[EV],
                requestBody={"content": {"application/json": {"schema": {"type": "object"}}}},
            ),
        },
        "/events/{event_id}/publish": {
            "post": _post("Publish", "events:write", "200", "Event", False, parameters=[EV])
        },
        "/events/{event_id}/cancel": {"post": _post("Cancel", "events:write", "200", "Event", False, parameters=[EV])},
        "/events/{event_id}/ticket-types": {
            "get": _operation("List ticket types", "events:read", "200", "TicketTypeList", parameters=[EV]),
            "post": _post("Add a ticket type", "ticket_types:write", "201", "TicketType", parameters=[EV]),
        },
        "/events/{event_id}/ticket-types/{ticket_type_id}": {
            "patch": _operation("Update a ticket type", "ticket_types:write", "200", "TicketType", parameters=[EV, TT]),
            "delete": _operation(
                "Delete an unsold ticket type", "ticket_types:write", "200", "Deleted", parameters=[EV, TT]
            ),
        },
        "/events/{event_id}/orders": {
            "get": _operation(
                "An event's orders",
                "orders:read",
                "200",
                "OrderList",
                parameters=[EV, *PAGING, _param("status", "query"), _param("buyer_email", "query")],
            )
        },
        "/events/{event_id}/attendees": {
            "get": _operation(
                "An event's attendees",
                "attendees:read",
                "200",
                "AttendeeList",
                parameters=[EV, *PAGING, _param("checked_in", "query", enum=["true", "false"])],
            )
        },
        "/orders": {
            "get": _operation(
                "List orders",
                "orders:read",
                "200",
                "OrderList",
                parameters=[
                    *PAGING,
                    _param("status", "query", enum=["confirmed", "pending", "cancelled", "refunded"]),
                    _param("buyer_email", "query"),
                    _param("event", "query"),
                ],
            )
        },
        "/orders/{order_id}": {
            "get": _operation("Get an order", "orders:read", "200", "Order", parameters=[_param("order_id")])
        },
        "/attendees": {
            "get": _operation(
                "List attendees",
                "attendees:read",
                "200",
                "AttendeeList",
                parameters=[
                    *PAGING,
                    _param("event", "query"),
                    _param("checked_in", "query", enum=["true", "false"]),
                ],
            )
        },
        "/webhooks/subscriptions": {
            "get": _operation(
                "List subscriptions", "webhooks:read", "200", "WebhookSubscriptionList", parameters=PAGING
            ),
            "post": _post(
                "Create a subscription (Growth and Pro plans)",
                "webhooks:write",
                "201",
                "WebhookSubscriptionCreated",
            ),
        },
        "/webhooks/subscriptions/{subscription_id}": {
            "get": _operation("Get a subscription", "webhooks:read", "200", "WebhookSubscription", parameters=[SUB]),
            "patch": _operation(
                "Update a subscription", "webhooks:write", "200", "WebhookSubscription", parameters=[SUB]
            ),
            "delete": _operation("Delete a subscription", "webhooks:write", "200", "Deleted", parameters=[SUB]),
        },
        "/webhooks/subscriptions/{subscription_id}/deliveries": {
            "get": _operation(
                "Delivery history", "webhooks:read", "200", "WebhookDeliveryList", parameters=[SUB, *PAGING]
            )
        },
        "/public/events": {
            "get": _operation(
                "Published public events of an organization (no auth)",
                None,
                "200",
                "PublicEventList",
                parameters=[{**_param("org_slug", "query"), "required": True}, *PAGING],
            )
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
    }


def _all_paths() -> dict[str, Any]:
    paths = {f"/api/v1{path}": item for path, item in _paths().items()}
    paths["/api/settings/api-keys/reset-test-data"] = {
        "post": _post("Delete all test-mode data of the organization", "events:write", "200", "TestDataReset", False)
    }
    return paths


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Equaticket Public API (ticketgate)", "version": "1.0.0"},
        "servers": [{"url": "/equaticket"}],
        "security": [{"bearer": []}],
        "paths": _all_paths(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "sk_live_... or sk_test_..."}
            },
            "schemas": SCHEMAS,
        },
    }
