"""Every failure in TicketSmart's wire format: ``{"error": ...}`` plus the documented extras.

This is the only module that turns exceptions into HTTP for the dialect.
"""

from __future__ import annotations

import logging
import re

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from core.errors import (
    Conflict,
    CoreError,
    FieldError,
    NotFound,
    PlanRequired,
    TermsRequired,
    Unprocessable,
    ValidationFailed,
)
from dialects.base import AuthFailed, BadRequest, RateLimited, ScopeMissing, json_response
from dialects.ticketsmart.serializers import CORE_TO_WIRE

log = logging.getLogger("ticketgate.ticketsmart")

AUTH_HINT = "Send your API key in the x-api-key request header"
RATE_LIMITED = "Rate limit exceeded. Try again later."
STATUS_REFUSED = "Status changes are not supported in the v1 API"
_SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


class InvalidFilters(BadRequest):
    """Bad list query parameters: one detail per parameter."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Invalid filters")
        self.errors = errors


class StatusChangeRefused(BadRequest):
    """v1 exposes no status changes (publish, cancel): a status in a body is refused."""

    def __init__(self) -> None:
        super().__init__(STATUS_REFUSED, "status")


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


def details(errors: list[FieldError]) -> list[dict[str, str]]:
    return [{"field": wire_field(e.field, e.message), "message": camel_words(e.message)} for e in errors]


def _core(exc: CoreError) -> Response:
    if isinstance(exc, WireValidationFailed):
        body = [{"field": e.field, "message": e.message} for e in exc.errors]
        return json_response({"error": "Validation failed", "details": body}, 400)
    if isinstance(exc, ValidationFailed):
        return json_response({"error": "Validation failed", "details": details(exc.errors)}, 400)
    if isinstance(exc, NotFound):
        return json_response({"error": exc.message}, 404)
    if isinstance(exc, Conflict):
        # the vendor's documented 409 body names no slug
        return json_response({"error": "Slug is already taken" if exc.code == "slug_taken" else exc.message},
                             409)
    if isinstance(exc, Unprocessable):
        return json_response({"error": exc.message}, 422)
    if isinstance(exc, TermsRequired | PlanRequired):
        return json_response({"error": exc.message}, 403)
    return json_response({"error": exc.message}, 400)


def _dialect(exc: Exception) -> Response | None:
    if isinstance(exc, AuthFailed):
        return json_response({"error": "Unauthorized", "hint": AUTH_HINT}, 401)
    if isinstance(exc, ScopeMissing):
        return json_response({"error": "Forbidden", "missingScopes": exc.missing}, 403)
    if isinstance(exc, RateLimited):
        wait = exc.state.reset_after
        return json_response({"error": RATE_LIMITED, "retryAfter": wait}, 429, {"Retry-After": str(wait)})
    if isinstance(exc, InvalidFilters):
        body = [{"field": e.field, "message": e.message} for e in exc.errors]
        return json_response({"error": exc.message, "details": body}, 400)
    if isinstance(exc, BadRequest):
        return json_response({"error": exc.message}, 400)
    return None


def _http(exc: HTTPException) -> Response:
    if exc.status_code == 404:
        return json_response({"error": "Not found"}, 404)
    if exc.status_code == 405:
        return json_response({"error": "Method not allowed"}, 405, dict(exc.headers or {}))
    return json_response({"error": str(exc.detail)}, exc.status_code, dict(exc.headers or {}))


def error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CoreError):
        return _core(exc)
    if isinstance(exc, HTTPException):
        return _http(exc)
    response = _dialect(exc)
    if response is not None:
        return response
    if isinstance(exc, asyncpg.DataError | asyncpg.IntegrityConstraintViolationError):
        # a last line of defence: input the validators missed never becomes a 500
        log.warning("database refused input on %s: %s", request.url.path, exc)
        return json_response({"error": "Validation failed",
                              "details": [{"field": "body", "message": "invalid value"}]}, 400)
    return json_response({"error": "Internal server error"}, 500)


class WireValidationFailed(ValidationFailed):
    """Validation errors already named in the wire's camelCase (from the dialect's own parsing)."""
