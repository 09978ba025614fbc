"""TicketSmart's wire input to core inputs: request bodies, and the events list's query.

The vendor validates JSON types strictly (a string is not a number, ``"true"`` is not a
boolean), so types are checked before core's validators, and every error is reported
once, under the camelCase name the client sent. The JSON kind each field must have is read
off its schema in the object tables (serializers.py), the enums are the tables' enums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from core.errors import FieldError
from core.ids import parse_id
from core.listing import EventFilters
from core.models import EventCreate, EventUpdate, Input, TicketTypeCreate, field_errors
from dialects import querystring
from dialects.schema import Schema
from dialects.spec import WireEnum, WireObject
from dialects.ticketsmart.errors import (
    InvalidFilters,
    StatusChangeRefused,
    WireValidationFailed,
    camel_words,
    wire_field,
)
from dialects.ticketsmart.pagination import PageRequest, page_request
from dialects.ticketsmart.serializers import (
    CATEGORY,
    EVENT,
    EVENT_FIELDS,
    STATUS,
    TICKET_TYPE,
    TICKET_TYPE_FIELDS,
    VISIBILITY,
)

M = TypeVar("M", bound=Input)

STATUS_KEYS = frozenset({"status", "publish", "published", "cancel", "cancelled", "canceled", "archived"})
NOT_NULL = ("title", "slug", "startsAt", "timezone", "currency", "visibility", "category")  # in a PATCH
DEFAULT_CURRENCY = "USD"  # documented default, whatever the box office's own currency
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
MAX_SEARCH = 200
LIST_PARAMS = ("status", "search", "dateFrom", "dateTo", "liveOnly", "page", "limit")


def _kind(schema: Schema) -> str:
    """The JSON kind a written value must have, from the field's schema (null is checked by core)."""
    if schema.get("format") == "date-time":
        return "datetime"
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return next((kind for kind in ("integer", "boolean") if kind in kinds), "string")


def _kinds(obj: WireObject, fields: Mapping[str, str]) -> dict[str, str]:
    return {name: _kind(obj[name].schema) for name in fields}


KINDS: dict[str, str] = {**_kinds(EVENT, EVENT_FIELDS), **_kinds(TICKET_TYPE, TICKET_TYPE_FIELDS)}
ENUMS: dict[str, WireEnum] = {"visibility": VISIBILITY, "category": CATEGORY}


@dataclass(frozen=True, slots=True)
class EventPatch:
    update: EventUpdate
    add: TicketTypeCreate | None
    remove: int | None


def instant(text: str) -> datetime | None:
    """ISO-8601 text as a datetime, or None when it is not one or is no representable instant
    once moved to UTC (9999-12-31T23:00-05:00 is not: it would overflow in the driver)."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def storable_instant(text: str) -> bool:
    return instant(text) is not None


def _enum_error(enum: WireEnum) -> str:
    return f"Invalid enum value. Expected {' | '.join(enum.values)}"


def _kind_error(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind == "integer":
        return None if type(value) is int else "Expected integer"
    if kind == "boolean":
        return None if isinstance(value, bool) else "Expected boolean"
    if not isinstance(value, str):
        return "Expected string"
    if kind == "datetime" and not storable_instant(value):
        return "Invalid datetime: must be ISO-8601, for example 2026-09-01T19:00:00Z"
    return None


def _enum(name: str, value: Any) -> tuple[Any, str | None]:
    enum = ENUMS[name]
    if value is None:
        return None, None
    if value in enum.reverse:
        return enum.parse(value), None
    return None, _enum_error(enum)


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireValidationFailed([FieldError(field, "Expected object")])
    return value


def translate(body: dict[str, Any], fields: dict[str, str], prefix: str, errors: list[FieldError],
              skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Wire keys to core keys; wrong types, bad enums and unknown keys become errors."""
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key in skip:
            continue
        if key not in fields:
            errors.append(FieldError(prefix + key, "Unrecognized field"))
            continue
        problem = _kind_error(KINDS[key], value)
        if problem is None and key in ENUMS:
            value, problem = _enum(key, value)
        if problem is not None:
            errors.append(FieldError(prefix + key, problem))
            continue
        data[fields[key]] = value
    return data


def _validate(model: type[M], data: dict[str, Any], prefix: str, errors: list[FieldError]) -> M | None:
    """Core's validation of ``data``, its errors renamed; a field reported already is not repeated."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        seen = {e.field for e in errors}
        for err in field_errors(exc):
            field = prefix + wire_field(err.field, err.message)
            if field not in seen and not any(field.startswith(f"{s}.") for s in seen):
                errors.append(FieldError(field, camel_words(err.message)))
        return None


def _refuse_status(body: dict[str, Any]) -> None:
    if STATUS_KEYS & body.keys():
        raise StatusChangeRefused()


def _ticket_types(value: Any, errors: list[FieldError]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(FieldError("ticketTypes", "Expected array"))
        return []
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(FieldError(f"ticketTypes.{i}", "Expected object"))
            item = {}  # keeps the following items' positions
        out.append(translate(item, TICKET_TYPE_FIELDS, f"ticketTypes.{i}.", errors))
    return out


def event_create(body: Any) -> EventCreate:
    body = _object(body, "body")
    _refuse_status(body)
    errors: list[FieldError] = []
    data = translate(body, EVENT_FIELDS, "", errors, skip=frozenset({"ticketTypes"}))
    data["ticket_types"] = _ticket_types(body.get("ticketTypes"), errors)
    if data.get("currency") is None:
        data["currency"] = DEFAULT_CURRENCY
    model = _validate(EventCreate, data, "", errors)
    if errors or model is None:
        raise WireValidationFailed(errors)
    return model


def _removal(value: Any, errors: list[FieldError]) -> int | None:
    if value is None:
        return None
    number = parse_id("ticket_type", value) if isinstance(value, str) else None
    if number is None:
        errors.append(FieldError("removeTicketTypeId", "Expected a ticket type id such as tkt_12"))
    return number


def _addition(value: Any, errors: list[FieldError]) -> TicketTypeCreate | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.append(FieldError("addTicketType", "Expected object"))
        return None
    data = translate(value, TICKET_TYPE_FIELDS, "addTicketType.", errors)
    return _validate(TicketTypeCreate, data, "addTicketType.", errors)


def event_patch(body: Any) -> EventPatch:
    body = _object(body, "body")
    _refuse_status(body)
    errors: list[FieldError] = []
    extras = frozenset({"addTicketType", "removeTicketTypeId"})
    data = translate(body, EVENT_FIELDS, "", errors, skip=extras)
    errors += [FieldError(key, "must not be null") for key in NOT_NULL if key in body and body[key] is None]
    update = _validate(EventUpdate, data, "", errors)
    add = _addition(body.get("addTicketType"), errors)
    remove = _removal(body.get("removeTicketTypeId"), errors)
    if errors or update is None:
        raise WireValidationFailed(errors)
    return EventPatch(update, add, remove)


# --- GET /events: filters (status, search, dateFrom, dateTo, liveOnly) and the page -------------

def _statuses(raw: str | None, errors: list[FieldError]) -> tuple[str, ...]:
    if not raw:
        return ()
    wanted = [part.strip().upper() for part in raw.split(",") if part.strip()]
    if any(s not in STATUS.reverse for s in wanted):
        errors.append(FieldError("status", _enum_error(STATUS)))
        return ()
    return tuple(STATUS.parse(s) for s in wanted)


def _instant(params: Mapping[str, str], name: str, errors: list[FieldError]) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    # "dateTo=" is no ISO-8601 datetime (the document's type): refused, not read as absent
    moment = instant(raw.strip())
    if moment is None:
        errors.append(FieldError(name, "Invalid datetime: must be ISO-8601, e.g. 2026-09-01T00:00:00Z"))
        return None
    # a bare date or a time without offset is read as UTC, as JavaScript reads a date
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _search(raw: str | None, errors: list[FieldError]) -> str | None:
    if raw is None or not raw.strip():
        return None
    if not querystring.storable(raw, MAX_SEARCH):
        errors.append(FieldError("search", f"Must be at most {MAX_SEARCH} characters, without NUL"))
        return None
    return raw.strip()


def _live_only(raw: str | None, errors: list[FieldError]) -> bool:
    if raw is None or raw == "":
        return False
    value = BOOLEANS.get(raw.strip().lower())
    if value is None:
        errors.append(FieldError("liveOnly", "Expected true or false"))
        return False
    return value


def list_params(params: Mapping[str, str]) -> tuple[EventFilters, PageRequest]:
    """Filters and page of GET /events; every bad parameter is reported in one 400."""
    # a parameter given twice (limit=5&limit=500) is ambiguous: refused, whichever it is
    errors = [FieldError(name, "Must be given once") for name in LIST_PARAMS if querystring.repeated(params, name)]
    filters = EventFilters(
        statuses=_statuses(params.get("status"), errors),
        search=_search(params.get("search"), errors),
        starts_from=_instant(params, "dateFrom", errors),
        starts_to=_instant(params, "dateTo", errors),
        on_sale_only=_live_only(params.get("liveOnly"), errors),
    )
    request = page_request(params, errors)
    if errors:
        raise InvalidFilters(errors)
    return filters, request
