"""Every failure in TicketSmart's wire format: ``{"error": message}`` plus the documented extras.

``ERRORS`` maps each exception class to its status, message and extras (looked up along the
class's MRO by dialects.base); ``format_error`` is the one function that writes the body.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core import errors as domain
from dialects import base
from dialects.base import ErrorTable, Rule, json_response
from dialects.ticketsmart.serializers import CORE_TO_WIRE

log = logging.getLogger("ticketgate.ticketsmart")

AUTH_HINT = "Send your API key in the x-api-key request header"
RATE_LIMITED = "Rate limit exceeded. Try again later."
STATUS_REFUSED = "Status changes are not supported in the v1 API"
VALIDATION = "Validation failed"
_SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


class InvalidFilters(base.BadRequest):
    """Bad list query parameters: one detail per parameter."""

    def __init__(self, errors: list[domain.FieldError]) -> None:
        super().__init__("Invalid filters")
        self.errors = errors


class StatusChangeRefused(base.BadRequest):
    """v1 exposes no status changes (publish, cancel): a status in a body is refused."""

    def __init__(self) -> None:
        super().__init__(STATUS_REFUSED, "status")


class WireValidationFailed(domain.ValidationFailed):
    """Validation errors already named in the wire's camelCase (from the dialect's own parsing)."""


# --- core's snake_case names in the wire's camelCase ---------------------------------------------

def camel_words(message: str) -> str:
    return _SNAKE_WORD.sub(lambda m: CORE_TO_WIRE.get(m.group(0), m.group(0)), message)


def wire_field(field: str, message: str) -> str:
    """A core field path (``ticket_types.0.min_per_order``) in the wire's camelCase names.

    Model-level errors arrive on the model's path with the field named first in the message
    (``ends_at must not be before starts_at``): the detail then points at that field.
    """
    parts = [] if field == "body" else field.split(".")
    first = message.split(" ", 1)[0]
    if first in CORE_TO_WIRE:
        if parts and parts[-1] in CORE_TO_WIRE:
            parts[-1] = first  # core checked a pair of fields and reported it on one of them
        else:
            parts.append(first)
    return ".".join(CORE_TO_WIRE.get(part, part) for part in parts) or "body"


def details(errors: list[domain.FieldError]) -> list[dict[str, str]]:
    return [{"field": wire_field(e.field, e.message), "message": camel_words(e.message)} for e in errors]


# --- the extras of each body ------------------------------------------------------------------

def _as_sent(exc: Any) -> dict[str, Any]:
    """Details already in wire names (the dialect's own parsing), as they were reported."""
    return {"details": [{"field": e.field, "message": e.message} for e in exc.errors]}


def _retry_after(exc: Any) -> dict[str, str]:
    return {"Retry-After": str(exc.state.reset_after)}


# a last line of defence: input the validators missed never becomes a 500 (logged: a gap to close)
DATABASE_REFUSED = Rule(400, message=VALIDATION,
                        extra=lambda exc: {"details": [{"field": "body", "message": "invalid value"}]})

ERRORS: ErrorTable = {
    base.AuthFailed: Rule(401, message="Unauthorized", extra=lambda exc: {"hint": AUTH_HINT}),
    base.ScopeMissing: Rule(403, message="Forbidden", extra=lambda exc: {"missingScopes": exc.missing}),
    base.RateLimited: Rule(429, message=RATE_LIMITED, extra=lambda exc: {"retryAfter": exc.state.reset_after},
                           headers=_retry_after),
    base.Unavailable: Rule(503, message="Service unavailable", extra=lambda exc: {"retryAfter": exc.retry_after},
                           headers=base.retry_after),
    InvalidFilters: Rule(400, extra=_as_sent),
    base.BodyTooLarge: Rule(413),  # the vendor documents no size error: HTTP's own status
    base.BodyTimeout: Rule(408),
    base.BadRequest: Rule(400),
    base.RouteNotFound: Rule(404, message="Not found"),
    base.MethodNotAllowed: Rule(405, message="Method not allowed", headers=lambda exc: {"Allow": exc.allow}),
    WireValidationFailed: Rule(400, message=VALIDATION, extra=_as_sent),
    domain.ValidationFailed: Rule(400, message=VALIDATION, extra=lambda exc: {"details": details(exc.errors)}),
    domain.NotFound: Rule(404),
    domain.SlugTaken: Rule(409, message="Slug is already taken"),  # the vendor's documented 409 names no slug
    domain.Conflict: Rule(409),
    domain.Unprocessable: Rule(422),
    domain.TermsRequired: Rule(403),
    domain.PlanRequired: Rule(403),
    domain.CoreError: Rule(400),
    asyncpg.DataError: DATABASE_REFUSED,
    asyncpg.IntegrityConstraintViolationError: DATABASE_REFUSED,
    Exception: Rule(500, message="Internal server error", unexpected=True),
}


def format_error(request: Request, exc: BaseException, rule: Rule) -> Response:
    if rule is DATABASE_REFUSED:
        log.warning("database refused input on %s: %s", request.url.path, exc)
    body: dict[str, Any] = {"error": rule.text(exc)}
    if rule.extra is not None:
        body.update(rule.extra(exc))
    return json_response(body, rule.status, rule.headers(exc) if rule.headers is not None else None)
