"""A client for a Ticket Tailor v1 API (the vendor, or a ticketgate serving this dialect).

The migration toolkit uses it to import (``pages``) and to replay (``describe``, ``render``,
``parse_body``). Callers only see *neutral* dicts: core field names, ISO-8601 UTC seconds,
core enum spellings, uppercase currency, booleans (not the strings "true"/"false") and the
vendor's own id strings.

Nothing about the wire is typed here again: the objects' fields, their core names and the
enum readings come from the serializers' tables (``read``), the routes from the dialect's
route table, the limits and header names from pagination.py and errors.py. Where the
vendor's wire form loses information, the choice made when reading it back is written next
to the table (``from_wire`` and the ``parse`` of a field); this module only puts back what
no single field says (refunds, line items' ticket types, the slug).
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from dialects.client_base import CursorClient, CursorPaging, NoEquivalent, match_route, read_request, resource_path
from dialects.spec import WireObject
from dialects.tickettailor import serializers as wire
from dialects.tickettailor.errors import REMAINING, RESET
from dialects.tickettailor.inputs import TIME_FILTERS as WIRE_TIME_FILTERS
from dialects.tickettailor.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dialects.tickettailor.routes import ROUTES as TABLE
from dialects.tickettailor.serializers import from_unix
from dialects.tickettailor.serializers import offers as offer_wire
from dialects.tickettailor.serializers import series as beyond

DIALECT = "tickettailor"
PAGING = "id"  # starting_after / ending_before object ids
IMPORTS = ("series", "events", "orders", "tickets", "check_ins", "products", "discounts", "vouchers", "voucher_codes",
           "waitlist_signups")
RATE_LIMIT_HEADERS: tuple[str, str] | None = (REMAINING, RESET)
ID_PREFIX = {"event": "ev_", "ticket_type": "tt_", "order": "or_", "issued_ticket": "it_", "ticket_group": "tg_"}

# the neutral resource each path's last named segment serves (a nested list: its own, not its parent's)
RESOURCES = {"ping": "ping", "events": "events", "orders": "orders", "issued_tickets": "tickets",
             "event_series": "series", "check_ins": "check_ins", "box_office": "box_office",
             "products": "products", "discounts": "discounts", "vouchers": "vouchers", "codes": "voucher_codes",
             "waitlist_signups": "waitlist_signups"}
SINGLE = ("ping", "box_office")  # one object, no id
NESTED_LISTS = ("codes", "waitlist_signups")  # lists below a parent with a neutral form (a series' events: none yet)


def _segment(path: str) -> str:
    return [part for part in path.split("/")[2:] if not part.startswith("{")][-1]


SERVED = tuple(route for route in TABLE if not route.public and route.method == "GET"
               and _segment(route.path) in RESOURCES
               and (route.path.count("/") <= 3 or _segment(route.path) in NESTED_LISTS))


def _routes() -> tuple[tuple[str, str, str, str], ...]:
    """(method, path pattern, resource, op) of each route the dialect's table serves with a key."""
    rows = []
    for route in SERVED:
        segment = _segment(route.path)
        op = "get" if route.path.endswith("}") or segment in SINGLE else "list"
        rows.append((route.method, re.sub(r"\{\w+\}", "(?P<id>[^/]+)", route.path), RESOURCES[segment], op))
    return tuple(rows)


ROUTES = _routes()
# the top-level lists (a nested list's path needs its parent: see pages_within)
LIST_PATHS = {resource: path for _, path, resource, op in ROUTES if op == "list" and "(?P" not in path}
TIME_FILTERS = tuple(WIRE_TIME_FILTERS)
# neutral filters each list accepts (wire name = neutral name for this dialect)
FILTERS: dict[str, tuple[str, ...]] = {
    "events": (),
    "orders": TIME_FILTERS,
    "tickets": ("event_id", "order_id", "barcode", "status", "email", *TIME_FILTERS),
    "series": (), "check_ins": (),
    "products": (), "discounts": (), "vouchers": (), "voucher_codes": (), "waitlist_signups": (),
}
PAGE_PARAMS = ("limit", "starting_after", "ending_before")
TICKET = wire.issued_ticket("")  # read for its fields: the URLs it would render are not parsed


def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def to_unix(value: str) -> str:
    try:
        return str(int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        return value


def _slug(url: Any) -> str | None:
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) and "/" in url else None


def read(obj: WireObject, data: Any) -> dict[str, Any]:
    """Every core field ``obj`` declares, from one wire object (None where the data lacks it)."""
    out: dict[str, Any] = {f.core: None for f in obj.fields if f.core is not None}
    if isinstance(data, Mapping):
        out.update(obj.parse(data))
    return out


# --- vendor JSON -> neutral dicts ---------------------------------------------------------------

def parse_ticket_type(data: Mapping[str, Any], event_id: str | None) -> dict[str, Any]:
    return {**read(wire.TICKET_TYPE, data), "event_id": event_id, "hidden": data.get("status") == "hidden"}


def parse_event(data: Mapping[str, Any]) -> dict[str, Any]:
    event = {**read(wire.EVENT, data), **read(wire.VENUE, data.get("venue")), **read(wire.IMAGES, data.get("images"))}
    event["slug"] = _slug(data.get("url"))
    event["ticket_types"] = [parse_ticket_type(t, event["source_id"]) for t in data.get("ticket_types") or []]
    return event


def parse_ticket(data: Mapping[str, Any]) -> dict[str, Any]:
    ticket = read(TICKET, data)
    ticket["custom_questions"] = ticket["custom_questions"] or []
    return ticket


def _line_item(data: Mapping[str, Any], types_by_name: Mapping[str, str]) -> dict[str, Any]:
    # line items carry no ticket type id: the order's issued tickets name it by description
    return {"ticket_type_id": types_by_name.get(data.get("description") or ""), **read(wire.LINE_ITEM, data)}


def _order_parts(data: Mapping[str, Any]) -> dict[str, Any]:
    """The order's own fields and those of its fixed sub-objects, in core names."""
    return {**read(wire.ORDER, data), **read(wire.BUYER_DETAILS, data.get("buyer_details")),
            **read(wire.CURRENCY, data.get("currency")), **read(wire.EVENT_SUMMARY, data.get("event_summary")),
            **read(wire.PAYMENT_METHOD, data.get("payment_method"))}


def parse_order(data: Mapping[str, Any]) -> dict[str, Any]:
    order = _order_parts(data)
    tickets = [parse_ticket(t) for t in data.get("issued_tickets") or []]
    names = {t["description"] or "": t["ticket_type_id"] for t in tickets if t["ticket_type_id"]}
    items = [_line_item(i, names) for i in data.get("line_items") or []]
    if order["status"] == "cancelled" and data.get("status_message") == "Refunded":
        order["status"] = "refunded"  # the vendor has no refunded status; its message says so
    # what was sold (tickets, products); codes' gift_card lines and taxes are not
    sold = [i for i in items if i["type"] in ("ticket", "product")]
    order.update(buyer_address=order["buyer_address"] or {}, custom_questions=order["custom_questions"] or [],
                 subtotal=sum(i["value"] or 0 for i in sold),
                 booking_fee=sum(i["booking_fee"] or 0 for i in sold), line_items=items)
    return order


def parse_series(data: Mapping[str, Any]) -> dict[str, Any]:
    made = {**read(beyond.EVENT_SERIES, data), **read(wire.VENUE, data.get("venue")),
            **read(wire.IMAGES, data.get("images"))}
    made["ticket_types"] = [parse_ticket_type(t, None) for t in data.get("default_ticket_types") or []]
    return made


def parse_check_in(data: Mapping[str, Any]) -> dict[str, Any]:
    return read(beyond.CHECK_IN, data)


def _reader(obj: WireObject) -> Any:
    return lambda data: read(obj, data)


PARSERS = {"events": parse_event, "orders": parse_order, "tickets": parse_ticket, "series": parse_series,
           "check_ins": parse_check_in,
           "products": _reader(offer_wire.PRODUCT), "discounts": _reader(offer_wire.DISCOUNT),
           "vouchers": _reader(offer_wire.VOUCHER), "voucher_codes": _reader(offer_wire.VOUCHER_CODE),
           "waitlist_signups": _reader(offer_wire.WAITLIST_SIGNUP)}
# lists under a parent: (a list naming the parents, the field of its items that names one, the
# path of one parent's list)
NESTED = {"voucher_codes": ("/v1/vouchers", "id", "/v1/vouchers/{}/codes"),
          "waitlist_signups": ("/v1/event_series", "id", "/v1/event_series/{}/waitlist_signups")}


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


CURSORS = CursorPaging("Ticket Tailor", {r: (LIST_PATHS[r], PARSERS[r]) for r in IMPORTS if r not in NESTED},
                       param="starting_after",
                       next_position=next_position, key="after", default=DEFAULT_LIMIT, size=MAX_LIMIT)


# --- replay: wire requests <-> neutral requests ----------------------------------------------------

def describe(method: str, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """A recorded request as a neutral request; None when the path is not a Ticket Tailor endpoint."""
    matched = match_route(ROUTES, method, path)
    if matched is None:
        return None
    resource, op, groups = matched
    return _describe(resource, op, groups.get("id"), dict(params))


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
    resource, op, filters = read_request(request)
    if resource == "ticket_types":  # no endpoint of its own: the event detail embeds them
        return "GET", f"/v1/events/{filters.pop('event_id')}", []
    if resource in NESTED:  # a list under its parent, whose id the request carries
        if op != "list" or not request.get("id"):
            raise NoEquivalent(f"Ticket Tailor lists {resource} only under their parent")
        return "GET", NESTED[resource][2].format(request["id"]), _list_params(request, filters, position)
    path = resource_path("Ticket Tailor", LIST_PATHS, request)
    return "GET", path, _list_params(request, filters, position) if op == "list" else []


def _list_params(request: Mapping[str, Any], filters: dict[str, Any], position: Mapping[str, Any] | None) -> list:
    params: list[tuple[str, str]] = []
    for name, value in filters.items():
        if name not in FILTERS[request["resource"]]:
            raise NoEquivalent(f"Ticket Tailor cannot filter {request['resource']} by {name}")
        params.append((name, to_unix(value) if name.startswith("created_at") else str(value)))
    return [*params, *CURSORS.page_params(request, position)]


# --- talking to the API ------------------------------------------------------------------------

class Client(CursorClient):
    """Reads a Ticket Tailor API; pass ``http`` to choose the transport (rate limits, tests)."""

    auth = staticmethod(auth_headers)
    paging = CURSORS

    async def pages(self, resource: str, start: str | None = None) -> AsyncIterator[tuple[list[dict], str | None]]:
        """``CursorClient.pages``; a nested list (a voucher's codes) is read parent by parent, its
        token ``"<parent id> <cursor>"`` (an empty cursor: that parent is done), so an interrupted
        import resumes inside the parent it was reading. The last page is an empty one."""
        if resource not in NESTED:
            async for page in super().pages(resource, start):
                yield page
            return
        async for page in self._nested(resource, *(start or " ").split(" ", 1)):
            yield page

    async def _nested(self, resource: str, resume: str, cursor: str) -> AsyncIterator[tuple[list[dict], str | None]]:
        parents, name, path = NESTED[resource]
        async for parent in self._ids(parents, name):
            if resume:  # skip the parents finished before the interruption
                if parent != resume:
                    continue
                resume, skip = "", not cursor
                if skip:
                    continue
            async for items, after in self._within(path.format(parent), cursor, PARSERS[resource]):
                yield items, f"{parent} {after or ''}"
            cursor = ""
        yield [], None

    async def _ids(self, path: str, name: str) -> AsyncIterator[str]:
        """Each parent id the items of ``path`` name, once, in the list's order."""
        seen: set[str] = set()
        async for items, _ in self._within(path, "", lambda data: data):
            for parent in (item.get(name) for item in items):
                if isinstance(parent, str) and parent not in seen:
                    seen.add(parent)
                    yield parent

    async def _within(self, path: str, cursor: str, parse: Any) -> AsyncIterator[tuple[list[dict], str | None]]:
        while True:
            params = [("limit", str(MAX_LIMIT))] + ([("starting_after", cursor)] if cursor else [])
            body = await self.get_json(path, params)
            cursor = CURSORS.next_cursor(body) or ""
            yield [parse(item) for item in body["data"]], cursor or None
            if not cursor:
                return
