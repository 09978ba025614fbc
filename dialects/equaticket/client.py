"""A client for an Equaticket v1 API (the vendor, or a ticketgate serving this dialect).

The migration toolkit uses it to import (``pages``) and to replay (``describe``, ``render``,
``parse_body``). Callers only see *neutral* dicts: core field names, ISO-8601 UTC seconds,
core enum spellings, uppercase currency, and the vendor's own id strings. Cursors are opaque
and signed, so a page can only be reached by following ``next_cursor``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dialects.client_base import CursorClient, CursorPaging, NoEquivalent, match_route, read_request, resource_path
from dialects.equaticket.serializers import (
    ATTENDEE,
    EVENT,
    LINE_ITEM,
    ORDER,
    ORDER_STATUS,
    TICKET_TYPE,
)
from dialects.spec import WireObject

DIALECT = "equaticket"
PAGING = "cursor"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
IMPORTS = ("events", "orders", "tickets")
RATE_LIMIT_HEADERS: tuple[str, str] | None = None  # Retry-After on the 429 only
ID_PREFIX = {
    "event": "evt_",
    "ticket_type": "tkt_",
    "order": "ord_",
    "issued_ticket": "att_",
    "webhook_subscription": "whsub_",
}

V1 = "/api/v1"
ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("GET", r"/api/v1/events", "events", "list"),
    ("POST", r"/api/v1/events", "events", "create"),
    ("GET", r"/api/v1/events/(?P<id>[^/]+)", "events", "get"),
    ("PATCH", r"/api/v1/events/(?P<id>[^/]+)", "events", "update"),
    ("POST", r"/api/v1/events/(?P<id>[^/]+)/(?:publish|cancel)", "events", "update"),
    ("GET", r"/api/v1/events/(?P<event>[^/]+)/ticket-types", "ticket_types", "list"),
    ("GET", r"/api/v1/events/(?P<event>[^/]+)/orders", "orders", "list"),
    ("GET", r"/api/v1/events/(?P<event>[^/]+)/attendees", "tickets", "list"),
    ("GET", r"/api/v1/orders", "orders", "list"),
    ("GET", r"/api/v1/orders/(?P<id>[^/]+)", "orders", "get"),
    ("GET", r"/api/v1/attendees", "tickets", "list"),
    ("GET", r"/api/v1/public/events", "public_events", "list"),
    ("GET", r"/api/v1/webhooks/subscriptions", "webhook_subscriptions", "list"),
    ("GET", r"/api/v1/webhooks/subscriptions/(?P<id>[^/]+)", "webhook_subscriptions", "get"),
    ("GET", r"/api/v1/openapi.json", "openapi", "get"),
)
LIST_PATHS = {"events": f"{V1}/events", "orders": f"{V1}/orders", "tickets": f"{V1}/attendees"}
# per list: wire query parameter -> neutral filter
FILTERS: dict[str, dict[str, str]] = {
    "events": {"status": "status"},
    "orders": {"event": "event_id", "status": "status", "buyer_email": "buyer_email"},
    "tickets": {"event": "event_id", "checked_in": "checked_in"},
}
PAGE_PARAMS = ("limit", "cursor")



def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- vendor JSON -> neutral dicts: derived from the objects' tables (serializers.py) -------------------
# Each parser names every core field of its object, None when the body lacks it; an event only
# names the descriptive fields a body carries (the public listing sends fewer of them).
EVENT_OPTIONAL = frozenset({"title", "slug", "description", "timezone", "venue_name", "address", "city",
                            "postal_code", "country", "online", "category", "url", "image_header",
                            "image_thumbnail", "call_to_action", "status", "visibility", "access_code"})


def _parse(table: WireObject, data: Mapping[str, Any], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    every = {f.core: None for f in table.fields if f.core is not None and f.core not in optional}
    return {**every, **table.parse(data)}


def parse_ticket_type(data: Mapping[str, Any]) -> dict[str, Any]:
    return _parse(TICKET_TYPE, data)


def parse_event(data: Mapping[str, Any]) -> dict[str, Any]:
    event = _parse(EVENT, data, EVENT_OPTIONAL)
    event["ticket_types"] = [parse_ticket_type(t) for t in data.get("ticket_types") or []]
    return event


def parse_order(data: Mapping[str, Any]) -> dict[str, Any]:
    order = _parse(ORDER, data)
    order["line_items"] = [_parse(LINE_ITEM, i) for i in data.get("line_items") or []]
    return order


def parse_ticket(data: Mapping[str, Any]) -> dict[str, Any]:
    return _parse(ATTENDEE, data)


PARSERS = {
    "events": parse_event,
    "public_events": parse_event,
    "orders": parse_order,
    "tickets": parse_ticket,
    "ticket_types": parse_ticket_type,
}


def parse_body(resource: str, op: str, body: Any) -> dict[str, Any]:
    """A 2xx body as ``{"items": [...], "has_more": bool}`` (lists) or ``{"item": {...}}``."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    parse = PARSERS.get(resource)
    if op == "list":
        items = [parse(x) if parse else x for x in body["data"]]
        return {"items": items, "has_more": bool(body["has_more"])}
    return {"item": parse(body) if parse else body}


def next_position(body: Any) -> dict[str, Any] | None:
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    return {"cursor": cursor} if cursor else None


CURSORS = CursorPaging("Equaticket", {r: (LIST_PATHS[r], PARSERS[r]) for r in IMPORTS}, param="cursor",
                       next_position=next_position, key="cursor", default=DEFAULT_LIMIT, size=MAX_LIMIT)


# --- replay: wire requests <-> neutral requests ----------------------------------------------------


def describe(method: str, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A recorded request as a neutral request; None when the path is not an Equaticket endpoint."""
    matched = match_route(ROUTES, method, path)
    return None if matched is None else _describe(*matched, dict(params))


def _filter_in(resource: str, name: str, value: str) -> Any:
    if name == "status":
        return [ORDER_STATUS.parse(value)] if resource == "orders" else [value]
    if name == "checked_in":
        return {"true": True, "false": False}.get(value, value)
    return value


def _describe(resource: str, op: str, groups: dict[str, str], query: dict[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"resource": resource, "op": op, "id": groups.get("id"), "filters": {}, "unsupported": []}
    if groups.get("event"):
        request["filters"]["event_id"] = groups["event"]
    wire = FILTERS.get(resource, {}) if op == "list" else {}
    for name, value in query.items():
        if name in wire:
            request["filters"][wire[name]] = _filter_in(resource, wire[name], value)
        elif name not in PAGE_PARAMS or op != "list":
            request["unsupported"].append(name)
    if op == "list" and resource != "ticket_types":
        limit = query.get("limit", "")
        request["limit"] = int(limit) if limit.isdigit() else DEFAULT_LIMIT
        if query.get("cursor"):
            request["position"] = {"cursor": query["cursor"]}
    return request


def _filter_out(resource: str, name: str, value: Any) -> str:
    if name == "status":
        if not isinstance(value, list) or len(value) != 1:
            raise NoEquivalent("Equaticket filters on one status at a time")
        return str(ORDER_STATUS.to_wire.get(value[0], value[0]) if resource == "orders" else value[0])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(request: Mapping[str, Any], position: Mapping[str, Any] | None = None) -> tuple[str, str, list]:
    """A neutral GET request as (method, path, params) here, or NoEquivalent."""
    resource, op, filters = read_request(request)
    if resource == "ticket_types":
        return "GET", f"{V1}/events/{filters.pop('event_id')}/ticket-types", []
    if resource == "tickets" and op == "get":
        raise NoEquivalent("Equaticket has no endpoint for one attendee")
    path = resource_path("Equaticket", LIST_PATHS, request)
    return "GET", path, _list_params(request, filters, position) if op == "list" else []


def _list_params(request: Mapping[str, Any], filters: dict[str, Any], position: Mapping[str, Any] | None) -> list:
    resource = request["resource"]
    wire = {neutral: name for name, neutral in FILTERS[resource].items()}
    params = []
    for name, value in filters.items():
        if name not in wire:
            raise NoEquivalent(f"Equaticket cannot filter {resource} by {name}")
        params.append((wire[name], _filter_out(resource, name, value)))
    return [*params, *CURSORS.page_params(request, position)]


# --- talking to the API ------------------------------------------------------------------------


class Client(CursorClient):
    """Reads an Equaticket API; pass ``http`` to choose the transport (rate limits, tests)."""

    auth = staticmethod(auth_headers)
    paging = CURSORS
