"""A client for a TicketSmart v1 API (the vendor, or a ticketgate serving this dialect).

The migration toolkit uses it to import (``pages``) and to replay (``describe``, ``render``,
``parse_body``). Everything vendor-specific lives here as data or small functions; callers
only ever see *neutral* dicts: core field names, ISO-8601 UTC times to the second, core
enum spellings, currency uppercase, and the vendor's own id strings.

TicketSmart has no order, ticket or attendee endpoints: only events and their ticket types.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from dialects.client_base import ApiClient, NoEquivalent, match_route, page_limit, read_request
from dialects.spec import WireObject
from dialects.ticketsmart import routes
from dialects.ticketsmart.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dialects.ticketsmart.serializers import AVAILABILITY, EVENT, TICKET_TYPE

DIALECT = "ticketsmart"
PAGING = "page"  # page / limit numbers
IMPORTS = ("events",)  # no order endpoints exist, so stock comes from the vendor's own counts
RATE_LIMIT_HEADERS: tuple[str, str] | None = None  # only Retry-After (and retryAfter) on a 429
ID_PREFIX = {"event": "evt_", "ticket_type": "tkt_"}

API = routes.API
# each operation of the dialect's route table as (resource, operation) in neutral terms
OPERATIONS: dict[Any, tuple[str, str]] = {
    routes.list_events: ("events", "list"), routes.create_event: ("events", "create"),
    routes.get_event: ("events", "get"), routes.patch_event: ("events", "update"),
    routes.ticket_types: ("ticket_types", "list"), routes.availability: ("availability", "get"),
    routes.openapi: ("openapi", "get"),
}
# (method, path pattern, resource, operation): every documented endpoint, read off the route table
ROUTES: tuple[tuple[str, str, str, str], ...] = tuple(
    (r.method, re.sub(r"\{\w+\}", "(?P<id>[^/]+)", r.path), *OPERATIONS[r.handler]) for r in routes.ROUTES
)
# wire query parameter -> neutral filter name (events list only)
FILTERS = {"status": "status", "search": "search", "dateFrom": "starts_from", "dateTo": "starts_to",
           "liveOnly": "on_sale_only"}
PAGE_PARAMS = ("page", "limit")


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key}


# --- vendor JSON -> neutral dicts: each object's parser is its table's (serializers.py) ---------

def _blank(obj: WireObject) -> dict[str, Any]:
    return dict.fromkeys(f.core for f in obj.fields if f.core is not None)


_BLANK = {obj.name: _blank(obj) for obj in (EVENT, TICKET_TYPE, AVAILABILITY)}


def _parse(obj: WireObject, data: Mapping[str, Any]) -> dict[str, Any]:
    """Every core field of ``obj``: a field the vendor left out reads as None."""
    return _BLANK[obj.name] | obj.parse(data)


def parse_ticket_type(data: Mapping[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {**_parse(TICKET_TYPE, data), "event_id": event_id}


def parse_event(data: Mapping[str, Any]) -> dict[str, Any]:
    event = _parse(EVENT, data)
    # children carry their parent's id, which their own object does not hold
    event["ticket_types"] = [parse_ticket_type(t, event["source_id"]) for t in data.get("ticketTypes") or []]
    return event


def parse_availability(data: Mapping[str, Any]) -> dict[str, Any]:
    return _parse(AVAILABILITY, data)


def parse_body(resource: str, op: str, body: Any) -> dict[str, Any]:
    """A 2xx body as ``{"items": [...], "has_more": bool}`` (lists) or ``{"item": {...}}``."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    if resource == "events" and op == "list":
        return {"items": [parse_event(e) for e in body["events"]],
                "has_more": bool(body["pagination"]["hasMore"])}
    if resource == "ticket_types":
        return {"items": [parse_ticket_type(t, body.get("eventId")) for t in body["ticketTypes"]],
                "has_more": False}
    if resource == "availability":
        return {"item": parse_availability(body)}
    if resource == "events":
        return {"item": parse_event(body["event"])}
    return {"item": body}


def next_position(body: Any) -> dict[str, Any] | None:
    """The token of the next page: none here, page numbers follow from offset and limit."""
    return None


# --- replay: wire requests <-> neutral requests ----------------------------------------------------

def _statuses(raw: str) -> list[str]:
    return sorted(part.strip().lower() for part in raw.split(",") if part.strip())


def describe(method: str, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A recorded request as a neutral request; None when the path is not a TicketSmart endpoint."""
    found = match_route(ROUTES, method, path)
    if found is None:
        return None
    resource, op, groups = found
    query = dict(params)
    request: dict[str, Any] = {"resource": resource, "op": op, "id": groups.get("id"), "filters": {},
                               "unsupported": []}
    if resource == "ticket_types":
        request["filters"]["event_id"], request["id"] = groups["id"], None
    for name, value in query.items():
        if name in FILTERS:
            request["filters"][FILTERS[name]] = _statuses(value) if name == "status" else value
        elif name not in PAGE_PARAMS:
            request["unsupported"].append(name)
    if op == "list" and resource == "events":
        request["limit"] = min(_int(query.get("limit"), DEFAULT_LIMIT), MAX_LIMIT)
        request["position"] = {"page": _int(query.get("page"), 1)}
    return request


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() else default


def render(request: Mapping[str, Any], position: Mapping[str, Any] | None = None) -> tuple[str, str, list]:
    """A neutral GET request as (method, path, params) here, or NoEquivalent."""
    resource, op, filters = read_request(request)
    if resource == "events" and op == "get":
        return "GET", f"{API}/events/{request['id']}", []
    if resource == "ticket_types":
        return "GET", f"{API}/events/{filters.pop('event_id')}/ticket-types", []
    if resource == "availability":
        return "GET", f"{API}/events/{request['id']}/availability", []
    if resource != "events":
        raise NoEquivalent(f"TicketSmart has no {resource} endpoint")
    return "GET", f"{API}/events", _event_params(request, filters, position)


def _event_params(request: Mapping[str, Any], filters: dict[str, Any], position: Mapping[str, Any] | None) -> list:
    wire = {neutral: name for name, neutral in FILTERS.items()}
    params: list[tuple[str, str]] = []
    for name, value in filters.items():
        if name not in wire:
            raise NoEquivalent(f"TicketSmart cannot filter events by {name}")
        params.append((wire[name], ",".join(v.upper() for v in value) if name == "status" else str(value)))
    limit = page_limit(request, DEFAULT_LIMIT, MAX_LIMIT, "TicketSmart")
    offset = int((position or {}).get("offset", 0))
    if offset % limit:
        raise NoEquivalent(f"offset {offset} is not on a page boundary of {limit}")
    return [*params, ("page", str(offset // limit + 1)), ("limit", str(limit))]


# --- talking to the API ------------------------------------------------------------------------

class Client(ApiClient):
    """Reads a TicketSmart API; pass ``http`` to choose the transport (rate limits, tests)."""

    auth = staticmethod(auth_headers)

    async def pages(self, resource: str, start: str | None = None) -> AsyncIterator[tuple[list[dict], str | None]]:
        """Every page of ``resource`` as (neutral items, token of the next page or None)."""
        if resource not in IMPORTS:
            raise NoEquivalent(f"TicketSmart has no {resource} endpoint")
        page = int(start or 1)
        while True:
            body = await self.get_json(f"{API}/events", [("page", str(page)), ("limit", str(MAX_LIMIT))])
            more = bool(body["pagination"]["hasMore"])
            page += 1
            yield [parse_event(e) for e in body["events"]], str(page) if more else None
            if not more:
                return
