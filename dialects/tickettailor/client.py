"""A client for a Ticket Tailor v1 API (the vendor, or a ticketgate serving this dialect).

The migration toolkit uses it to import (``pages``) and to replay (``describe``, ``render``,
``parse_body``). Callers only see *neutral* dicts: core field names, ISO-8601 UTC seconds,
core enum spellings, uppercase currency, booleans (not the strings "true"/"false") and the
vendor's own id strings. Where the vendor's wire form loses information, the choice made
when reading it back is written next to the mapping.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dialects.client_base import ApiClient, NoEquivalent

DIALECT = "tickettailor"
PAGING = "id"  # starting_after / ending_before object ids
DEFAULT_LIMIT = 100
MAX_LIMIT = 100
IMPORTS = ("events", "orders", "tickets")
RATE_LIMIT_HEADERS: tuple[str, str] | None = ("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")
ID_PREFIX = {"event": "ev_", "ticket_type": "tt_", "order": "or_", "issued_ticket": "it_", "ticket_group": "tg_"}

# Ticket Tailor status -> core status. "close_sales" covers cancelled, completed and archived:
# read back as "cancelled" (the event no longer sells); "off_sale_temporarily" is published.
EVENT_STATUS = {"draft": "draft", "published": "published", "close_sales": "cancelled",
                "off_sale_temporarily": "published"}
# "hidden" is on sale behind a flag; "sold_out" is derived from stock by the vendor
TICKET_TYPE_STATUS = {"on_sale": "on_sale", "unavailable": "off_sale", "sold_out": "on_sale",
                      "hidden": "on_sale", "admin_only": "admin_only", "locked": "locked"}
ORDER_STATUS = {"pending": "pending", "completed": "completed", "cancelled": "cancelled"}

ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("GET", r"/v1/ping", "ping", "get"),
    ("GET", r"/v1/events", "events", "list"),
    ("GET", r"/v1/events/(?P<id>[^/]+)", "events", "get"),
    ("GET", r"/v1/orders", "orders", "list"),
    ("GET", r"/v1/orders/(?P<id>[^/]+)", "orders", "get"),
    ("GET", r"/v1/issued_tickets", "tickets", "list"),
    ("GET", r"/v1/issued_tickets/(?P<id>[^/]+)", "tickets", "get"),
)
LIST_PATHS = {"events": "/v1/events", "orders": "/v1/orders", "tickets": "/v1/issued_tickets"}
TIME_FILTERS = ("created_at", "created_at.gt", "created_at.gte", "created_at.lt", "created_at.lte")
# neutral filters each list accepts (wire name = neutral name for this dialect)
FILTERS: dict[str, tuple[str, ...]] = {
    "events": (),
    "orders": TIME_FILTERS,
    "tickets": ("event_id", "order_id", "barcode", "status", "email", *TIME_FILTERS),
}
PAGE_PARAMS = ("limit", "starting_after", "ending_before")



def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def from_unix(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def to_unix(value: str) -> str:
    try:
        return str(int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        return value


def _enum(table: Mapping[str, str], value: Any) -> Any:
    """A vendor enum value in core spelling; values the table does not know are kept as sent."""
    return table.get(value, value) if isinstance(value, str) else value


def _flag(value: Any) -> bool | None:
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _date(value: Any) -> str | None:
    return from_unix(value.get("unix")) if isinstance(value, dict) else None


def _slug(url: Any) -> str | None:
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) and "/" in url else None


# --- vendor JSON -> neutral dicts ---------------------------------------------------------------

def parse_ticket_type(data: Mapping[str, Any], event_id: str | None) -> dict[str, Any]:
    status = data.get("status")
    return {
        "source_id": data.get("id"), "event_id": event_id, "name": data.get("name"),
        "description": data.get("description"), "price": data.get("price"),
        "booking_fee": data.get("booking_fee"), "available": data.get("quantity"),  # remaining stock
        "min_per_order": data.get("min_per_order"), "max_per_order": data.get("max_per_order"),
        "hidden": status == "hidden", "access_code": data.get("access_code"),
        "sort_order": data.get("sort_order"), "status": _enum(TICKET_TYPE_STATUS, status),
        "group_id": data.get("group_id"),
    }


def parse_event(data: Mapping[str, Any]) -> dict[str, Any]:
    event_id = data.get("id")
    venue = data.get("venue") or {}
    images = data.get("images") or {}
    private = _flag(data.get("private"))
    code = (data.get("currency") or "").upper() if isinstance(data.get("currency"), str) else None
    return {
        "source_id": event_id, "title": data.get("name"), "slug": _slug(data.get("url")),
        "description": data.get("description"), "status": _enum(EVENT_STATUS, data.get("status")),
        "starts_at": _date(data.get("start")), "ends_at": _date(data.get("end")),
        "timezone": data.get("timezone"), "venue_name": venue.get("name"), "postal_code": venue.get("postal_code"),
        "online": _flag(data.get("online_event")), "currency": code or None,
        # "private" cannot tell unlisted from private: read back as unlisted (reachable by link)
        "visibility": None if private is None else ("unlisted" if private else "public"),
        "access_code": data.get("access_code"), "call_to_action": data.get("call_to_action"),
        "image_header": images.get("header"), "image_thumbnail": images.get("thumbnail"),
        "url": data.get("url"), "created_at": from_unix(data.get("created_at")),
        "ticket_types": [parse_ticket_type(t, event_id) for t in data.get("ticket_types") or []],
    }


def parse_ticket(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": data.get("id"), "event_id": data.get("event_id"), "order_id": data.get("order_id"),
        "ticket_type_id": data.get("ticket_type_id"), "barcode": data.get("barcode"),
        "reference": data.get("reference"), "description": data.get("description"),
        "status": data.get("status"), "first_name": data.get("first_name"), "last_name": data.get("last_name"),
        "email": data.get("email"), "checked_in": _flag(data.get("checked_in")),
        "custom_questions": data.get("custom_questions") or [],
        "created_at": from_unix(data.get("created_at")), "updated_at": from_unix(data.get("updated_at")),
        "voided_at": from_unix(data.get("voided_at")),
    }


def _line_item(data: Mapping[str, Any], types_by_name: Mapping[str, str]) -> dict[str, Any]:
    # line items carry no ticket type id: the order's issued tickets name it by description
    return {"ticket_type_id": types_by_name.get(data.get("description") or ""),
            "description": data.get("description"), "type": data.get("type"), "quantity": data.get("quantity"),
            "value": data.get("value"), "booking_fee": data.get("booking_fee"), "total": data.get("total")}


def parse_order(data: Mapping[str, Any]) -> dict[str, Any]:
    buyer = data.get("buyer_details") or {}
    tickets = [parse_ticket(t) for t in data.get("issued_tickets") or []]
    names = {t["description"] or "": t["ticket_type_id"] for t in tickets if t["ticket_type_id"]}
    items = [_line_item(i, names) for i in data.get("line_items") or []]
    status = _enum(ORDER_STATUS, data.get("status"))
    if status == "cancelled" and data.get("status_message") == "Refunded":
        status = "refunded"  # the vendor has no refunded status; its message says so
    currency = data.get("currency") or {}
    tickets_only = [i for i in items if i["type"] == "ticket"]
    return {
        "source_id": data.get("id"), "event_id": (data.get("event_summary") or {}).get("id"),
        "status": status, "buyer_name": buyer.get("name"), "buyer_email": buyer.get("email"),
        "buyer_phone": buyer.get("phone"), "buyer_address": buyer.get("address") or {},
        "custom_questions": buyer.get("custom_questions") or [],
        "currency": currency.get("code", "").upper() or None,
        "subtotal": sum(i["value"] or 0 for i in tickets_only),
        "booking_fee": sum(i["booking_fee"] or 0 for i in tickets_only),
        "tax": data.get("tax"), "total": data.get("total"), "refund_amount": data.get("refund_amount"),
        "payment_method": (data.get("payment_method") or {}).get("type"), "txn_id": data.get("txn_id"),
        "created_at": from_unix(data.get("created_at")), "line_items": items,
    }


PARSERS = {"events": parse_event, "orders": parse_order, "tickets": parse_ticket}


def parse_body(resource: str, op: str, body: Any) -> dict[str, Any]:
    """A 2xx body as ``{"items": [...], "has_more": bool}`` (lists) or ``{"item": {...}}``."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    if resource == "ticket_types":  # rendered as the event's detail: its embedded ticket types
        return {"items": parse_event(body)["ticket_types"], "has_more": False}
    if resource not in PARSERS:
        return {"item": body}
    if op == "list":
        links = body.get("links") or {}
        return {"items": [PARSERS[resource](x) for x in body["data"]], "has_more": links.get("next") is not None}
    return {"item": PARSERS[resource](body)}


def next_position(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict) or not (body.get("links") or {}).get("next") or not body.get("data"):
        return None
    return {"after": body["data"][-1]["id"]}


# --- replay: wire requests <-> neutral requests ----------------------------------------------------

def describe(method: str, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A recorded request as a neutral request; None when the path is not a Ticket Tailor endpoint."""
    for verb, pattern, resource, op in ROUTES:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            return _describe(resource, op, match.groupdict().get("id"), dict(params))
    return None


def _describe(resource: str, op: str, object_id: str | None, query: dict[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"resource": resource, "op": op, "id": object_id, "filters": {}, "unsupported": []}
    allowed = FILTERS.get(resource, ()) if op == "list" else ()
    for name, value in query.items():
        if name in allowed:
            request["filters"][name] = from_unix(int(value)) if name.startswith("created_at") and value.isdigit() \
                else value
        elif name not in PAGE_PARAMS or op != "list":
            request["unsupported"].append(name)
    if op == "list":
        limit = query.get("limit", "")
        request["limit"] = int(limit) if limit.isdigit() else DEFAULT_LIMIT
        if query.get("ending_before"):
            request["position"] = {"before": query["ending_before"]}
        elif query.get("starting_after"):
            request["position"] = {"after": query["starting_after"]}
    return request


def render(request: Mapping[str, Any], position: Mapping[str, Any] | None = None) -> tuple[str, str, list]:
    """A neutral GET request as (method, path, params) here, or NoEquivalent."""
    resource, op, filters = request["resource"], request["op"], dict(request.get("filters") or {})
    if op not in ("list", "get"):
        raise NoEquivalent(f"{resource} {op} is a write")
    if resource == "ticket_types":  # no endpoint of its own: the event detail embeds them
        return "GET", f"/v1/events/{filters.pop('event_id')}", []
    if resource not in LIST_PATHS:
        raise NoEquivalent(f"Ticket Tailor has no {resource} endpoint")
    if op == "get":
        return "GET", f"{LIST_PATHS[resource]}/{request['id']}", []
    return "GET", LIST_PATHS[resource], _list_params(request, filters, position)


def _list_params(request: Mapping[str, Any], filters: dict[str, Any], position: Mapping[str, Any] | None) -> list:
    params: list[tuple[str, str]] = []
    for name, value in filters.items():
        if name not in FILTERS[request["resource"]]:
            raise NoEquivalent(f"Ticket Tailor cannot filter {request['resource']} by {name}")
        params.append((name, to_unix(value) if name.startswith("created_at") else str(value)))
    limit = int(request.get("limit") or DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        raise NoEquivalent(f"Ticket Tailor pages hold at most {MAX_LIMIT} items")
    if position and position.get("after"):
        params.append(("starting_after", position["after"]))
    elif position and position.get("offset"):
        raise NoEquivalent(f"no known object before position {position['offset']}")
    return [*params, ("limit", str(limit))]


# --- talking to the API ------------------------------------------------------------------------

class Client(ApiClient):
    """Reads a Ticket Tailor API; pass ``http`` to choose the transport (rate limits, tests)."""

    auth = staticmethod(auth_headers)

    async def pages(self, resource: str, start: str | None = None) -> AsyncIterator[tuple[list[dict], str | None]]:
        """Every page of ``resource``, oldest cursor first, as (neutral items, next token or None)."""
        if resource not in IMPORTS:
            raise NoEquivalent(f"Ticket Tailor has no {resource} endpoint")
        async for page in self.cursor_pages(
            LIST_PATHS[resource], PARSERS[resource], cursor_param="starting_after", limit=MAX_LIMIT, start=start,
            next_cursor=lambda body: (next_position(body) or {}).get("after"),
        ):
            yield page
