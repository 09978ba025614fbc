"""The dialect's OpenAPI 3.1 document, describing what this server really answers.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), so the tests validate real responses
against them. Built once, then served as is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dialects.ticketsmart.filters import STATUSES
from dialects.ticketsmart.inputs import CATEGORIES, VISIBILITIES
from dialects.ticketsmart.pagination import DEFAULT_LIMIT, MAX_LIMIT

REF = "#/components/schemas/"
STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _obj(props: dict[str, Any], required: list[str] | None = None, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    schema["required"] = list(props) if required is None else required
    if closed:
        schema["additionalProperties"] = False
    return schema


TICKET_TYPE = _obj({
    "id": {"type": "string", "pattern": "^tkt_[0-9]+$"}, "name": STR, "description": NSTR,
    "price": {"type": "integer", "minimum": 0, "description": "cents"}, "quantity": INT, "sold": INT,
    "available": INT, "soldOut": BOOL, "onSale": BOOL, "saleStartsAt": NTIME, "saleEndsAt": NTIME,
    "minPerOrder": INT, "maxPerOrder": INT, "hidden": BOOL, "sortOrder": INT,
})
EVENT = _obj({
    "id": {"type": "string", "pattern": "^evt_[0-9]+$"}, "title": STR, "slug": STR, "description": NSTR,
    "status": {"enum": list(STATUSES)}, "startsAt": TIME, "endsAt": NTIME, "doorsOpen": NTIME,
    "timezone": STR, "venueName": NSTR, "address": NSTR, "postalCode": NSTR, "city": NSTR, "country": NSTR,
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "visibility": {"enum": list(VISIBILITIES)},
    "category": {"enum": list(CATEGORIES)}, "publicUrl": STR,
    "ticketTypes": {"type": "array", "items": _ref("TicketType")}, "createdAt": TIME, "updatedAt": TIME,
})
PAGINATION = _obj({"page": INT, "limit": INT, "total": INT, "totalPages": INT, "hasMore": BOOL})
AVAILABILITY = _obj({
    "eventId": STR, "status": {"enum": list(STATUSES)}, "currency": STR, "onSale": BOOL, "soldOut": BOOL,
    "totalQuantity": INT, "totalSold": INT, "totalAvailable": INT,
    "ticketTypes": {"type": "array", "items": _obj(
        {"id": STR, "name": STR, "price": INT, "available": INT, "soldOut": BOOL})},
})
TICKET_TYPE_INPUT = _obj({
    "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": NSTR,
    "price": {"type": "integer", "minimum": 0, "default": 0}, "quantity": {"type": "integer", "minimum": 0},
    "saleStartsAt": NTIME, "saleEndsAt": NTIME, "minPerOrder": {"type": "integer", "minimum": 1},
    "maxPerOrder": {"type": "integer", "minimum": 1}, "hidden": BOOL, "sortOrder": INT,
}, required=["name", "quantity"])
EVENT_FIELDS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"}, "description": NSTR,
    "startsAt": TIME, "endsAt": NTIME, "doorsOpen": NTIME, "timezone": STR, "venueName": NSTR,
    "address": NSTR, "postalCode": NSTR, "city": NSTR, "country": NSTR,
    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "default": "USD"},
    "visibility": {"enum": list(VISIBILITIES)}, "category": {"enum": list(CATEGORIES)},
}
EVENT_CREATE = _obj({**EVENT_FIELDS, "ticketTypes": {"type": "array", "maxItems": 100,
                                                      "items": _ref("TicketTypeInput")}},
                    required=["title", "startsAt"])
EVENT_PATCH = _obj({**EVENT_FIELDS, "addTicketType": _ref("TicketTypeInput"),
                    "removeTicketTypeId": {"type": "string", "examples": ["tkt_12"]}}, required=[])
ERROR = _obj({"error": STR})
VALIDATION = _obj({"error": STR, "details": {"type": "array", "items": _obj({"field": STR, "message": STR})}})
UNAUTHORIZED = _obj({"error": {"const": "Unauthorized"}, "hint": STR})
FORBIDDEN = _obj({"error": {"const": "Forbidden"}, "missingScopes": {"type": "array", "items": STR}})
RATE_LIMITED = _obj({"error": STR, "retryAfter": INT})

SCHEMAS = {
    "Event": EVENT, "TicketType": TICKET_TYPE, "Pagination": PAGINATION, "Availability": AVAILABILITY,
    "EventList": _obj({"events": {"type": "array", "items": _ref("Event")},
                       "pagination": _ref("Pagination")}),
    "EventEnvelope": _obj({"event": _ref("Event")}),
    "TicketTypeList": _obj({"eventId": STR, "ticketTypes": {"type": "array", "items": _ref("TicketType")}}),
    "EventCreate": EVENT_CREATE, "EventPatch": EVENT_PATCH, "TicketTypeInput": TICKET_TYPE_INPUT,
    "Error": ERROR, "ValidationError": VALIDATION, "Unauthorized": UNAUTHORIZED, "Forbidden": FORBIDDEN,
    "RateLimited": RATE_LIMITED,
}


def _json(schema: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


RETRY_AFTER = {"Retry-After": {"schema": INT, "description": "seconds before a request is accepted"}}
COMMON = {
    "401": _json("Unauthorized", "Missing, malformed, revoked or unknown API key"),
    "403": _json("Forbidden", "The key lacks a required scope"),
    "429": _json("RateLimited", "More than 60 requests in the rolling minute", RETRY_AFTER),
}
NOT_FOUND = {"404": _json("Error", "The event was not found in the key's box office")}
BAD = {"400": {"description": "Invalid JSON, status change, or validation failure", "content": {
    "application/json": {"schema": {"oneOf": [_ref("ValidationError"), _ref("Error")]}}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


LIST_PARAMS = [
    _query("status", STR, f"one or more (comma separated) of {', '.join(STATUSES)}"),
    _query("search", STR, "matches title, venue name or city (case-insensitive)"),
    _query("dateFrom", TIME, "events starting at or after (ISO-8601; no offset means UTC)"),
    _query("dateTo", TIME, "events starting at or before (ISO-8601; no offset means UTC)"),
    _query("liveOnly", {"type": "string", "enum": ["true", "false", "1", "0"]},
           "only published events that have not started"),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "page number, from 1"),
    _query("limit", {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
           f"page size; values above {MAX_LIMIT} are capped at {MAX_LIMIT}"),
]
ID_OR_SLUG = {"name": "idOrSlug", "in": "path", "required": True, "schema": STR,
              "description": "event id (evt_12) or slug"}


def _op(op_id: str, scope: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"operationId": op_id, "security": [{"apiKey": []}], "x-required-scopes": [scope],
            "responses": {**responses, **COMMON}, **extra}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _paths() -> dict[str, Any]:
    one = "/api/v1/events/{idOrSlug}"
    event_ok = _json("EventEnvelope", "The event")
    return {
        "/api/v1/events": {
            "get": _op("listEvents", "events:read", {"200": _json("EventList", "A page of events"), **BAD},
                       parameters=LIST_PARAMS),
            "post": _op("createEvent", "events:write", {"201": _json("EventEnvelope", "Created"), **BAD,
                        "409": _json("Error", "Slug is already taken")}, requestBody=_body("EventCreate")),
        },
        one: {
            "parameters": [ID_OR_SLUG],
            "get": _op("getEvent", "events:read", {"200": event_ok, **NOT_FOUND}),
            "patch": _op("updateEvent", "events:write", {
                "200": event_ok, **BAD, **NOT_FOUND, "409": _json("Error", "Slug is already taken"),
                "422": _json("Error", "Cannot remove a ticket type that has sold tickets"),
            }, requestBody=_body("EventPatch")),
        },
        f"{one}/ticket-types": {"parameters": [ID_OR_SLUG], "get": _op(
            "listTicketTypes", "events:read", {"200": _json("TicketTypeList", "Ticket types"), **NOT_FOUND})},
        f"{one}/availability": {"parameters": [ID_OR_SLUG], "get": _op(
            "getAvailability", "events:read", {"200": _json("Availability", "Live availability"),
                                               **NOT_FOUND})},
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "TicketSmart API (ticketgate)", "version": "v1",
                 "description": "TicketSmart's public v1 API served by ticketgate (prices in cents)."},
        "servers": [{"url": "/ticketsmart"}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }
