"""TicketSmart request bodies to core inputs: wire names, JSON types and enums checked here.

The vendor validates JSON types strictly (a string is not a number, ``"true"`` is not a
boolean), so types are checked before core's validators, and every error is reported
once, under the camelCase name the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from core.errors import FieldError
from core.ids import parse_id
from core.models import EventCreate, EventUpdate, Input, TicketTypeCreate, field_errors
from dialects.ticketsmart.errors import StatusChangeRefused, WireValidationFailed, camel_words, wire_field
from dialects.ticketsmart.serializers import EVENT_FIELDS, TICKET_TYPE_FIELDS

M = TypeVar("M", bound=Input)

VISIBILITIES = ("PUBLIC", "UNLISTED", "PRIVATE")
CATEGORIES = ("COMEDY", "MUSIC", "CONFERENCE", "WORKSHOP", "THEATER", "SPORTS", "OTHER")
STATUS_KEYS = frozenset({"status", "publish", "published", "cancel", "cancelled", "canceled", "archived"})
NOT_NULL = ("title", "slug", "startsAt", "timezone", "currency", "visibility", "category")  # in a PATCH
DEFAULT_CURRENCY = "USD"  # documented default, whatever the box office's own currency

# wire field -> JSON kind it must have (null is always allowed here; core decides if it may be)
KINDS: dict[str, str] = {
    **dict.fromkeys(EVENT_FIELDS, "string"),
    **dict.fromkeys(TICKET_TYPE_FIELDS, "string"),
    "startsAt": "datetime", "endsAt": "datetime", "doorsOpen": "datetime",
    "saleStartsAt": "datetime", "saleEndsAt": "datetime",
    "price": "integer", "quantity": "integer", "minPerOrder": "integer", "maxPerOrder": "integer",
    "sortOrder": "integer", "hidden": "boolean",
}
ENUMS: dict[str, tuple[str, ...]] = {"visibility": VISIBILITIES, "category": CATEGORIES}


@dataclass(frozen=True, slots=True)
class EventPatch:
    update: EventUpdate
    add: TicketTypeCreate | None
    remove: int | None


def storable_instant(text: str) -> bool:
    """ISO-8601, and still a representable instant once moved to UTC (9999-12-31T23:00-05:00 is not)."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return True


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
    allowed = ENUMS[name]
    if value is None or value in allowed:
        return (value.lower() if value else value), None
    return None, f"Invalid enum value. Expected {' | '.join(allowed)}"


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
