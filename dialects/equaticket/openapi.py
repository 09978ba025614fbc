"""The dialect's OpenAPI 3.1 document: paths and operations over the object schemas (served without auth)."""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from core.models import EventCreate, EventStatus, EventUpdate, TicketTypeCreate, TicketTypeUpdate
from core.subscriptions import SubscriptionCreate, SubscriptionUpdate
from dialects import schema as js
from dialects.equaticket.serializers import OBJECTS, ORDER_STATUS
from dialects.schema import (
    BOOLEAN,
    INTEGER,
    NULL_STRING,
    STRING,
    Schema,
    array,
    enum,
    json_content,
    obj,
    parameter,
    ref,
)

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
    {"name": "cursor", "in": "query", "schema": {"type": "string"},
     "description": "next_cursor of the previous page: opaque and signed; any other value is a 400"},
]
IDEMPOTENCY_KEY = {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f]{1,256}$", "maxLength": 256}


def body_schema(model: type[BaseModel], rename: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                add: dict[str, Schema] | None = None) -> Schema:
    """A request body's schema from the core model the body is parsed into, under the wire's names
    (closed: the dialect refuses unknown fields). Rules JSON Schema cannot state (time order, an
    IANA zone, an ISO currency) stay the documented 400 validation_error."""
    rename = rename or {}
    model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    properties = {rename.get(name, name): _trimmed({k: v for k, v in prop.items() if k != "title"})
                  for name, prop in model_schema["properties"].items() if name not in drop}
    required = [rename.get(name, name) for name in model_schema.get("required", []) if name not in drop]
    return obj({**properties, **(add or {})}, required)


def _trimmed(schema: Schema) -> Schema:
    """Text is trimmed before its length is checked (core's inputs strip surrounding whitespace):
    the bound is stated in words, since ``maxLength`` would count the whitespace too."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_trimmed(s) for s in schema["anyOf"]]}
    if schema.get("type") != "string" or "maxLength" not in schema:
        return schema
    out = {k: v for k, v in schema.items() if k != "maxLength"}
    return {**out, "description": f"at most {schema['maxLength']} characters once surrounding whitespace is trimmed"}


CURRENCY = {"type": "string", "pattern": "^[A-Za-z]{3}$"}
TT_WIRE = {"quantity": "quantity_total"}
INPUTS: dict[str, Schema] = {
    "EventCreate": body_schema(EventCreate),
    "EventUpdate": body_schema(EventUpdate),
    "TicketTypeCreate": body_schema(TicketTypeCreate, TT_WIRE, ("group_id",), {"currency": CURRENCY}),
    "TicketTypeUpdate": body_schema(TicketTypeUpdate, TT_WIRE, add={"currency": CURRENCY}),
    "SubscriptionCreate": body_schema(SubscriptionCreate),
    "SubscriptionUpdate": body_schema(SubscriptionUpdate),
}


def _param(name: str, where: str = "path", **schema: Any) -> Schema:
    return parameter(name, where, {**STRING, **schema})


def _operation(summary: str, scope: str | None, status: str, schema: str | None, **extra: Any) -> Schema:
    responses: dict[str, Any] = {status: json_content(ref(schema), summary) if schema else {"description": summary}}
    for code, what in ERROR_STATUSES.items():
        responses[code] = json_content(ref("Error"), what)
    op: Schema = {"summary": summary, "responses": responses, **extra}
    if scope is None:
        op["security"] = []
    else:
        op["description"] = f"Requires the `{scope}` scope."
    return op


def _body(name: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def _post(summary: str, scope: str, status: str, schema: str, body: str | None = None, **extra: Any) -> Schema:
    params = extra.pop("parameters", [])
    params = [*params, parameter("Idempotency-Key", "header", IDEMPOTENCY_KEY, required=False)]
    op = _operation(summary, scope, status, schema, parameters=params, **extra)
    if body:
        op["requestBody"] = _body(body)
    return op


def _list(summary: str, scope: str, schema: str, *filters: Schema, within: Schema | None = None) -> Schema:
    """A paged list: the path parameter it lists ``within``, then the paging ones, then its filters."""
    return _operation(summary, scope, "200", schema, parameters=[*([within] if within else []), *PAGING, *filters])


EV, TT, SUB = _param("event_id"), _param("ticket_type_id"), _param("subscription_id")
EVENT_STATUS = parameter("status", "query", enum(*get_args(EventStatus)))
ORDER_STATUS_PARAM = parameter("status", "query", ORDER_STATUS.schema())
CHECKED_IN = _param("checked_in", "query", enum=["true", "false"])


def _event_paths() -> dict[str, Any]:
    return {
        "/events": {
            "get": _list("List events", "events:read", "EventList", EVENT_STATUS),
            "post": _post("Create an event", "events:write", "201", "Event", "EventCreate"),
        },
        "/events/{event_id}": {
            "get": _operation("Get an event", "events:read", "200", "Event", parameters=[EV]),
            "patch": _operation(
                "Update an event",
                "events:write",
                "200",
                "Event",
                parameters=[EV],
                requestBody=_body("EventUpdate"),
            ),
        },
        "/events/{event_id}/publish": {
            "post": _post("Publish", "events:write", "200", "Event", parameters=[EV])
        },
        "/events/{event_id}/cancel": {"post": _post("Cancel", "events:write", "200", "Event", parameters=[EV])},
        "/events/{event_id}/ticket-types": {
            "get": _operation("List ticket types", "events:read", "200", "TicketTypeList", parameters=[EV]),
            "post": _post("Add a ticket type", "ticket_types:write", "201", "TicketType", "TicketTypeCreate",
                          parameters=[EV]),
        },
        "/events/{event_id}/ticket-types/{ticket_type_id}": {
            "patch": _operation("Update a ticket type", "ticket_types:write", "200", "TicketType", parameters=[EV, TT],
                                requestBody=_body("TicketTypeUpdate")),
            "delete": _operation(
                "Delete an unsold ticket type", "ticket_types:write", "200", "Deleted", parameters=[EV, TT]
            ),
        },
    }


def _read_paths() -> dict[str, Any]:
    return {
        "/events/{event_id}/orders": {
            "get": _list("An event's orders", "orders:read", "OrderList", ORDER_STATUS_PARAM,
                         _param("buyer_email", "query"), within=EV)
        },
        "/events/{event_id}/attendees": {
            "get": _list("An event's attendees", "attendees:read", "AttendeeList", CHECKED_IN, within=EV)
        },
        "/orders": {
            "get": _list("List orders", "orders:read", "OrderList", ORDER_STATUS_PARAM,
                         _param("buyer_email", "query"), _param("event", "query", pattern=js.id_pattern("event")))
        },
        "/orders/{order_id}": {
            "get": _operation("Get an order", "orders:read", "200", "Order", parameters=[_param("order_id")])
        },
        "/attendees": {
            "get": _list("List attendees", "attendees:read", "AttendeeList",
                         _param("event", "query", pattern=js.id_pattern("event")), CHECKED_IN)
        },
    }


def _webhook_paths() -> dict[str, Any]:
    return {
        "/webhooks/subscriptions": {
            "get": _list("List subscriptions", "webhooks:read", "WebhookSubscriptionList"),
            "post": _post(
                "Create a subscription (Growth and Pro plans)",
                "webhooks:write",
                "201",
                "WebhookSubscriptionCreated",
                "SubscriptionCreate",
            ),
        },
        "/webhooks/subscriptions/{subscription_id}": {
            "get": _operation("Get a subscription", "webhooks:read", "200", "WebhookSubscription", parameters=[SUB]),
            "patch": _operation(
                "Update a subscription", "webhooks:write", "200", "WebhookSubscription", parameters=[SUB],
                requestBody=_body("SubscriptionUpdate"),
            ),
            "delete": _operation("Delete a subscription", "webhooks:write", "200", "Deleted", parameters=[SUB]),
        },
        "/webhooks/subscriptions/{subscription_id}/deliveries": {
            "get": _list("Delivery history", "webhooks:read", "WebhookDeliveryList", within=SUB)
        },
    }


def _public_paths() -> dict[str, Any]:
    return {
        "/public/events": {
            "get": _operation(
                "Published public events of an organization (no auth)",
                None,
                "200",
                "PublicEventList",
                parameters=[parameter("org_slug", "query", {**STRING, "minLength": 1}, required=True), *PAGING],
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
    groups = (_event_paths(), _read_paths(), _webhook_paths(), _public_paths())
    paths = {f"/api/v1{path}": item for group in groups for path, item in group.items()}
    paths["/api/settings/api-keys/reset-test-data"] = {
        "post": _post("Delete all test-mode data of the organization", "events:write", "200", "TestDataReset")
    }
    return paths


# the bodies that are not vendor objects: the error envelope, deletions, the reset's counts
ERROR = obj({
    "error": obj({
        "code": enum("validation_error", "unauthorized", "forbidden", "not_found", "conflict", "unprocessable",
                     "rate_limited", "internal_error", "api_terms_required"),
        "message": STRING, "request_id": STRING, "param": STRING, "doc_url": STRING,
    }, ["code", "message", "request_id", "doc_url"], closed=False),
}, closed=False)
DELETED = obj({"id": STRING, "object": STRING, "livemode": BOOLEAN, "deleted": {**BOOLEAN, "enum": [True]}},
              closed=False)
RESET = obj({"object": enum("test_data_reset"), "livemode": BOOLEAN,
             "deleted": {"type": "object", "additionalProperties": INTEGER}}, closed=False)
LISTED = ("Event", "TicketType", "Order", "Attendee", "WebhookSubscription", "WebhookDelivery", "PublicEvent")


def list_of(name: str) -> Schema:
    return obj({"livemode": BOOLEAN, "data": array(ref(name)), "has_more": BOOLEAN, "next_cursor": NULL_STRING},
               closed=False)


def schemas() -> dict[str, Schema]:
    """Every component: the vendor objects from their tables (serializers.py), then the rest."""
    return {
        **{o.name: o.schema() for o in OBJECTS},
        "Error": ERROR,
        "Deleted": DELETED,
        "TestDataReset": RESET,
        **INPUTS,
        **{f"{name}List": list_of(name) for name in LISTED},
    }


@cache
def document() -> dict[str, Any]:
    return js.document(
        "Equaticket Public API (ticketgate)", "1.0.0", _all_paths(), schemas(),
        security={"bearer": {"type": "http", "scheme": "bearer", "description": "sk_live_... or sk_test_..."}},
        servers=[{"url": "/equaticket"}],
    )
