"""Small helpers the route modules share: path ids, query flags, the events base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from core.errors import NotFound
from core.ids import parse_id
from core.keys import Principal
from dialects.base import BadRequest
from dialects.equaticket.pagination import query_param
from dialects.equaticket.serializers import events_base

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

NOT_FOUND = {
    "event": "Event not found",
    "ticket_type": "Ticket type not found",
    "order": "Order not found",
    "issued_ticket": "Attendee not found",
    "webhook_subscription": "Webhook subscription not found",
}


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


def choice(request: Request, name: str, allowed: tuple[str, ...] | dict[str, str]) -> str | None:
    raw = query_param(request, name)
    if raw is not None and raw not in allowed:
        raise BadRequest(f"{name} must be one of: {', '.join(allowed)}", name)
    return raw


def base_url(d: Equaticket, principal: Principal) -> str:
    return events_base(d.services.public_base_url, principal.box_office_slug)
