"""Equaticket requests to core inputs: bodies (wire names in, core models out), path ids and
query parameters.

Unknown fields are refused here by their wire name, so an error never names a core
column the client has never heard of.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from core.errors import NotFound, ValidationFailed
from core.events import EVENT_COLUMNS
from core.ids import parse_id
from core.models import EventCreate, EventUpdate, TicketTypeCreate, TicketTypeUpdate, parse
from core.subscriptions import SubscriptionCreate, SubscriptionUpdate
from dialects import querystring
from dialects.base import BadRequest, read_json
from dialects.equaticket.serializers import TICKET_TYPE

MAX_PARAM = 1000
NOT_FOUND = {
    "event": "Event not found",
    "ticket_type": "Ticket type not found",
    "order": "Order not found",
    "issued_ticket": "Attendee not found",
    "webhook_subscription": "Webhook subscription not found",
}
EVENT_FIELDS = frozenset(EVENT_COLUMNS)  # the wire's event fields are core's columns, same names
# what a client may write of a ticket type: its wire fields but the ones the server computes
TICKET_TYPE_FIELDS = frozenset(TICKET_TYPE.names) - {
    "id", "object", "livemode", "event_id", "quantity_sold", "quantity_available", "created_at", "updated_at"}
SUBSCRIPTION_FIELDS = frozenset({"url", "event_types", "description", "enabled"})
# JSON types are strict on the wire: "2500" is not a price and 17 is not a date-time
TIMES = frozenset({"starts_at", "ends_at", "doors_open_at", "sale_starts_at", "sale_ends_at"})
INTEGERS = frozenset({"price", "booking_fee", "quantity_total", "min_per_order", "max_per_order", "sort_order"})
BOOLEANS = frozenset({"online", "hidden", "enabled"})
# columns that cannot be cleared: core's partial updates would hand None to PostgreSQL
EVENT_REQUIRED = frozenset({"title", "slug", "starts_at", "timezone", "online", "currency", "visibility", "category"})
TICKET_TYPE_REQUIRED = frozenset({"name", "price", "booking_fee", "quantity_total", "min_per_order", "max_per_order",
                                  "hidden", "sort_order", "status", "currency"})


# --- path and query ---------------------------------------------------------------------------------

def query_param(request: Request, name: str) -> str | None:
    """A query parameter that is safe to hand to PostgreSQL (no NUL, bounded length)."""
    return querystring.text(request.query_params, name, MAX_PARAM)


def path_id(request: Request, name: str, kind: str) -> int:
    """The core id behind a path segment; a malformed id is simply not found."""
    number = parse_id(kind, request.path_params[name])
    if number is None:
        raise NotFound(kind, NOT_FOUND[kind])
    return number


def filter_id(request: Request, name: str, kind: str) -> int | None:
    raw = query_param(request, name)
    if raw is None:
        return None
    number = parse_id(kind, raw)
    if number is None:
        raise BadRequest(f"{name} must be an id such as evt_123", name)
    return number


def flag(request: Request, name: str) -> bool | None:
    raw = query_param(request, name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false", name)
    return raw == "true"


def choice(request: Request, name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    raw = query_param(request, name)
    if raw is not None and raw not in allowed:
        raise BadRequest(f"{name} must be one of: {', '.join(allowed)}", name)
    return raw


# --- bodies --------------------------------------------------------------------------------------------

async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    body = await request.body()  # bounded by the gateway's max_body_bytes (gateway.limits)
    if optional and not body.strip():
        return {}
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    return data


def _known(data: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for key, value in data.items():
        if key not in allowed:
            raise BadRequest(f"Unknown field: {prefix}{key}", f"{prefix}{key}")
        if value is not None:
            _typed(key, value, prefix)


def _not_null(data: dict[str, Any], required: frozenset[str]) -> None:
    for key in sorted(required & data.keys()):
        if data[key] is None:
            raise ValidationFailed.single(key, "must not be null")


def _typed(key: str, value: Any, prefix: str) -> None:
    if key in TIMES and not isinstance(value, str):
        raise ValidationFailed.single(f"{prefix}{key}", "must be an ISO-8601 date-time string")
    if key in INTEGERS and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValidationFailed.single(f"{prefix}{key}", "must be an integer")
    if key in BOOLEANS and not isinstance(value, bool):
        raise ValidationFailed.single(f"{prefix}{key}", "must be true or false")


def _currency_of(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise ValidationFailed.single(field, "must be a three-letter ISO 4217 code")
    return value.upper()


def ticket_type_fields(data: Any, currency: str | None, prefix: str = "") -> tuple[dict[str, Any], str | None]:
    """Wire ticket type to core fields; returns them and the currency it names (checked)."""
    if not isinstance(data, dict):
        raise BadRequest(f"{prefix or 'Body'} must be a JSON object", prefix.rstrip(".") or None)
    _known(data, TICKET_TYPE_FIELDS, prefix)
    fields = {k: v for k, v in data.items() if k not in ("currency", "quantity_total")}
    if "quantity_total" in data:
        fields["quantity"] = data["quantity_total"]
    named = _currency_of(data["currency"], f"{prefix}currency") if "currency" in data else None
    if named and currency and named != currency:
        raise ValidationFailed.single(f"{prefix}currency", f"must be the event's currency ({currency.lower()})")
    return fields, named or currency


def event_create(data: dict[str, Any]) -> EventCreate:
    _known(data, EVENT_FIELDS | {"ticket_types"})
    fields = {k: v for k, v in data.items() if k != "ticket_types"}
    currency = _currency_of(data["currency"], "currency") if data.get("currency") is not None else None
    types = data.get("ticket_types", [])
    if not isinstance(types, list) or len(types) > 100:
        raise ValidationFailed.single("ticket_types", "must be a list of at most 100 ticket types")
    converted = []
    for i, item in enumerate(types):
        core_fields, currency = ticket_type_fields(item, currency, f"ticket_types.{i}.")
        converted.append(core_fields)
    if types:
        fields["ticket_types"] = converted
    if currency and "currency" not in fields:
        fields["currency"] = currency  # an event without a currency takes its ticket types' one
    return parse(EventCreate, fields)


def event_update(data: dict[str, Any]) -> EventUpdate:
    _known(data, EVENT_FIELDS)
    _not_null(data, EVENT_REQUIRED)
    return parse(EventUpdate, data)


def ticket_type_create(data: dict[str, Any], event_currency: str) -> TicketTypeCreate:
    fields, _ = ticket_type_fields(data, event_currency)
    return parse(TicketTypeCreate, fields)


def ticket_type_update(data: dict[str, Any], event_currency: str) -> TicketTypeUpdate:
    _not_null(data, TICKET_TYPE_REQUIRED)
    fields, _ = ticket_type_fields(data, event_currency)
    return parse(TicketTypeUpdate, fields)


def subscription_create(data: dict[str, Any]) -> SubscriptionCreate:
    _known(data, SUBSCRIPTION_FIELDS)
    return parse(SubscriptionCreate, data)


def subscription_update(data: dict[str, Any]) -> SubscriptionUpdate:
    _known(data, SUBSCRIPTION_FIELDS)
    return parse(SubscriptionUpdate, data)
