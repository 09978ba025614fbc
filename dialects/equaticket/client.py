"""A client for an Equaticket v1 API (the vendor, or a ticketgate serving this dialect).

The migration toolkit uses it to import (``pages``) and to replay (``describe``, ``render``,
``parse_body``). Callers only see *neutral* dicts: core field names, ISO-8601 UTC seconds,
core enum spellings, uppercase currency, and the vendor's own id strings. Cursors are opaque
and signed, so a page can only be reached by following ``next_cursor``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dialects.client_base import ApiClient, NoEquivalent

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
ORDER_STATUS = {"confirmed": "completed", "pending": "pending", "cancelled": "cancelled", "refunded": "refunded"}
ORDER_STATUS_OUT = {core: wire for wire, core in ORDER_STATUS.items()}

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


def iso(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _enum(table: Mapping[str, str], value: Any) -> Any:
    """A vendor enum value in core spelling; values the table does not know are kept as sent."""
    return table.get(value, value) if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


# --- vendor JSON -> neutral dicts ---------------------------------------------------------------


def parse_ticket_type(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": data.get("id"),
        "event_id": data.get("event_id"),
        "name": data.get("name"),
        "description": data.get("description"),
        "price": data.get("price"),
        "booking_fee": data.get("booking_fee"),
        "quantity": data.get("quantity_total"),
        "sold": data.get("quantity_sold"),
        "available": data.get("quantity_available"),
        "min_per_order": data.get("min_per_order"),
        "max_per_order": data.get("max_per_order"),
        "sale_starts_at": iso(data.get("sale_starts_at")),
        "sale_ends_at": iso(data.get("sale_ends_at")),
        "hidden": data.get("hidden"),
        "access_code": data.get("access_code"),
        "status": data.get("status"),
        "sort_order": data.get("sort_order"),
        "created_at": iso(data.get("created_at")),
        "updated_at": iso(data.get("updated_at")),
    }


EVENT_TEXT = (
    "title",
    "slug",
    "description",
    "timezone",
    "venue_name",
    "address",
    "city",
    "postal_code",
    "country",
    "online",
    "category",
    "url",
    "image_header",
    "image_thumbnail",
    "call_to_action",
    "status",
    "visibility",
    "access_code",
)


def parse_event(data: Mapping[str, Any]) -> dict[str, Any]:
    event = {name: data.get(name) for name in EVENT_TEXT if name in data}
    event.update(
        {
            "source_id": data.get("id"),
            "currency": _upper(data.get("currency")),
            "starts_at": iso(data.get("starts_at")),
            "ends_at": iso(data.get("ends_at")),
            "doors_open_at": iso(data.get("doors_open_at")),
            "created_at": iso(data.get("created_at")),
            "updated_at": iso(data.get("updated_at")),
            "ticket_types": [parse_ticket_type(t) for t in data.get("ticket_types") or []],
        }
    )
    return event


def _line_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ticket_type_id": data.get("ticket_type_id"),
        "description": data.get("name"),
        "type": data.get("type"),
        "quantity": data.get("quantity"),
        "value": data.get("subtotal"),
        "booking_fee": data.get("booking_fee"),
        "total": data.get("total"),
    }


def parse_order(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": data.get("id"),
        "event_id": data.get("event_id"),
        "status": _enum(ORDER_STATUS, data.get("status")),
        "buyer_name": data.get("buyer_name"),
        "buyer_email": data.get("buyer_email"),
        "buyer_phone": data.get("buyer_phone"),
        "currency": _upper(data.get("currency")),
        "subtotal": data.get("subtotal"),
        "booking_fee": data.get("booking_fee"),
        "tax": data.get("tax"),
        "total": data.get("total"),
        "refund_amount": data.get("refunded_amount"),
        "payment_method": data.get("payment_method"),
        "created_at": iso(data.get("created_at")),
        "updated_at": iso(data.get("updated_at")),
        "line_items": [_line_item(i) for i in data.get("line_items") or []],
    }


def parse_ticket(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": data.get("id"),
        "event_id": data.get("event_id"),
        "order_id": data.get("order_id"),
        "ticket_type_id": data.get("ticket_type_id"),
        "description": data.get("ticket_type_name"),
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "email": data.get("email"),
        "barcode": data.get("barcode"),
        "status": data.get("status"),
        "checked_in": data.get("checked_in"),
        "checked_in_at": iso(data.get("checked_in_at")),
        "created_at": iso(data.get("created_at")),
        "updated_at": iso(data.get("updated_at")),
    }


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


# --- replay: wire requests <-> neutral requests ----------------------------------------------------


def describe(method: str, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A recorded request as a neutral request; None when the path is not an Equaticket endpoint."""
    for verb, pattern, resource, op in ROUTES:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            return _describe(resource, op, match.groupdict(), dict(params))
    return None


def _filter_in(resource: str, name: str, value: str) -> Any:
    if name == "status":
        return [ORDER_STATUS.get(value, value)] if resource == "orders" else [value]
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
        return str(_enum(ORDER_STATUS_OUT, value[0]) if resource == "orders" else value[0])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(request: Mapping[str, Any], position: Mapping[str, Any] | None = None) -> tuple[str, str, list]:
    """A neutral GET request as (method, path, params) here, or NoEquivalent."""
    resource, op, filters = request["resource"], request["op"], dict(request.get("filters") or {})
    if op not in ("list", "get"):
        raise NoEquivalent(f"{resource} {op} is a write")
    if resource == "ticket_types":
        return "GET", f"{V1}/events/{filters.pop('event_id')}/ticket-types", []
    if resource == "tickets" and op == "get":
        raise NoEquivalent("Equaticket has no endpoint for one attendee")
    if resource not in LIST_PATHS:
        raise NoEquivalent(f"Equaticket has no {resource} endpoint")
    if op == "get":
        return "GET", f"{LIST_PATHS[resource]}/{request['id']}", []
    return "GET", LIST_PATHS[resource], _list_params(request, filters, position)


def _list_params(request: Mapping[str, Any], filters: dict[str, Any], position: Mapping[str, Any] | None) -> list:
    resource = request["resource"]
    wire = {neutral: name for name, neutral in FILTERS[resource].items()}
    params = []
    for name, value in filters.items():
        if name not in wire:
            raise NoEquivalent(f"Equaticket cannot filter {resource} by {name}")
        params.append((wire[name], _filter_out(resource, name, value)))
    limit = int(request.get("limit") or DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        raise NoEquivalent(f"Equaticket pages hold at most {MAX_LIMIT} items")
    if position and position.get("cursor"):
        params.append(("cursor", position["cursor"]))
    elif position and position.get("offset"):
        raise NoEquivalent(f"no cursor known for position {position['offset']}")
    return [*params, ("limit", str(limit))]


# --- talking to the API ------------------------------------------------------------------------


class Client(ApiClient):
    """Reads an Equaticket API; pass ``http`` to choose the transport (rate limits, tests)."""

    auth = staticmethod(auth_headers)

    async def pages(self, resource: str, start: str | None = None) -> AsyncIterator[tuple[list[dict], str | None]]:
        """Every page of ``resource`` as (neutral items, next cursor or None)."""
        if resource not in IMPORTS:
            raise NoEquivalent(f"Equaticket has no {resource} list")
        async for page in self.cursor_pages(
            LIST_PATHS[resource], PARSERS[resource], cursor_param="cursor", limit=MAX_LIMIT, start=start,
            next_cursor=lambda body: (next_position(body) or {}).get("cursor"),
        ):
            yield page
