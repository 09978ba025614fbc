"""The dialect's OpenAPI 3.1 document, describing what this server really answers.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), so the tests validate real responses
against them. The served objects' schemas are their tables' (serializers.py); the inputs,
envelopes and error bodies are declared here. Built once, then served as is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dialects.schema import (
    BOOLEAN,
    INTEGER,
    NULL_STRING,
    NULL_TIME,
    STRING,
    TIME,
    Schema,
    array,
    const,
    json_content,
    obj,
    parameter,
    ref,
)
from dialects.ticketsmart.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE
from dialects.ticketsmart.serializers import AVAILABILITY, EVENT, STATUS, TICKET_TYPE

PAGINATION = obj({"page": INTEGER, "limit": INTEGER, "total": INTEGER, "totalPages": INTEGER, "hasMore": BOOLEAN})
TICKET_TYPE_INPUT = obj({
    "name": {"type": "string", "minLength": 1, "maxLength": 200}, "description": NULL_STRING,
    "price": {"type": "integer", "minimum": 0, "default": 0}, "quantity": {"type": "integer", "minimum": 0},
    "saleStartsAt": NULL_TIME, "saleEndsAt": NULL_TIME, "minPerOrder": {"type": "integer", "minimum": 1},
    "maxPerOrder": {"type": "integer", "minimum": 1}, "hidden": BOOLEAN, "sortOrder": INTEGER,
}, required=["name", "quantity"])
EVENT_INPUT: dict[str, Schema] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"}, "description": NULL_STRING,
    "startsAt": TIME, "endsAt": NULL_TIME, "doorsOpen": NULL_TIME, "timezone": STRING, "venueName": NULL_STRING,
    "address": NULL_STRING, "postalCode": NULL_STRING, "city": NULL_STRING, "country": NULL_STRING,
    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "default": "USD"},
    "visibility": EVENT["visibility"].schema, "category": EVENT["category"].schema,
}
EVENT_CREATE = obj({**EVENT_INPUT, "ticketTypes": {"type": "array", "maxItems": 100,
                                                   "items": ref("TicketTypeInput")}},
                   required=["title", "startsAt"])
EVENT_PATCH = obj({**EVENT_INPUT, "addTicketType": ref("TicketTypeInput"),
                   "removeTicketTypeId": {"type": "string", "examples": ["tkt_12"]}}, required=[])
DETAILS = array(obj({"field": STRING, "message": STRING}))

SCHEMAS: dict[str, Schema] = {
    EVENT.name: EVENT.schema(), TICKET_TYPE.name: TICKET_TYPE.schema(), "Pagination": PAGINATION,
    AVAILABILITY.name: AVAILABILITY.schema(),
    "EventList": obj({"events": array(ref(EVENT.name)), "pagination": ref("Pagination")}),
    "EventEnvelope": obj({"event": ref(EVENT.name)}),
    "TicketTypeList": obj({"eventId": STRING, "ticketTypes": array(ref(TICKET_TYPE.name))}),
    "EventCreate": EVENT_CREATE, "EventPatch": EVENT_PATCH, "TicketTypeInput": TICKET_TYPE_INPUT,
    "Error": obj({"error": STRING}),
    "ValidationError": obj({"error": STRING, "details": DETAILS}),
    "Unauthorized": obj({"error": const("Unauthorized"), "hint": STRING}),
    "Forbidden": obj({"error": const("Forbidden"), "missingScopes": array(STRING)}),
    "RateLimited": obj({"error": STRING, "retryAfter": INTEGER}),
}


def _json(schema: str, description: str, headers: dict[str, Any] | None = None) -> Schema:
    return json_content(ref(schema), description, headers)


RETRY_AFTER = {"Retry-After": {"schema": INTEGER, "description": "seconds before a request is accepted"}}
COMMON = {
    "401": _json("Unauthorized", "Missing, malformed, revoked or unknown API key"),
    "403": _json("Forbidden", "The key lacks a required scope"),
    "429": _json("RateLimited", "More than 60 requests in the rolling minute", RETRY_AFTER),
}
NOT_FOUND = {"404": _json("Error", "The event was not found in the key's box office")}
BAD = {"400": json_content({"oneOf": [ref("ValidationError"), ref("Error")]},
                           "Invalid JSON, status change, or validation failure")}
CONFLICT = {"409": _json("Error", "Slug is already taken")}

LIST_PARAMS = [
    parameter("status", "query", STRING, f"one or more (comma separated) of {', '.join(STATUS.values)}"),
    parameter("search", "query", STRING, "matches title, venue name or city (case-insensitive)"),
    parameter("dateFrom", "query", TIME, "events starting at or after (ISO-8601; no offset means UTC)"),
    parameter("dateTo", "query", TIME, "events starting at or before (ISO-8601; no offset means UTC)"),
    parameter("liveOnly", "query", {"type": "string", "enum": ["true", "false", "1", "0"]},
              "only published events that have not started"),
    parameter("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
              "page number, from 1"),
    parameter("limit", "query", {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
              f"page size; values above {MAX_LIMIT} are capped at {MAX_LIMIT}"),
]
ID_OR_SLUG = parameter("idOrSlug", "path", STRING, "event id (evt_12) or slug")


def _op(op_id: str, scope: str, responses: dict[str, Any], **extra: Any) -> Schema:
    return {"operationId": op_id, "security": [{"apiKey": []}], "x-required-scopes": [scope],
            "responses": {**responses, **COMMON}, **extra}


def _body(schema: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def _paths() -> dict[str, Any]:
    one = "/api/v1/events/{idOrSlug}"
    event_ok = _json("EventEnvelope", "The event")
    return {
        "/api/v1/events": {
            "get": _op("listEvents", "events:read", {"200": _json("EventList", "A page of events"), **BAD},
                       parameters=LIST_PARAMS),
            "post": _op("createEvent", "events:write", {"201": _json("EventEnvelope", "Created"), **BAD,
                        **CONFLICT}, requestBody=_body("EventCreate")),
        },
        one: {
            "parameters": [ID_OR_SLUG],
            "get": _op("getEvent", "events:read", {"200": event_ok, **NOT_FOUND}),
            "patch": _op("updateEvent", "events:write", {
                "200": event_ok, **BAD, **NOT_FOUND, **CONFLICT,
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
def document() -> Schema:
    # assembled here rather than by dialects.schema.document: the served document has always had
    # per-operation security only and an info description, and stays byte for byte as it was
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
