"""Every failure as Equaticket's envelope: {"error": {code, message, request_id, param?, doc_url}}.

The only place that chooses an HTTP status. Core field names are translated back to
wire names (``quantity`` is ``quantity_total`` on the wire).
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from core.errors import (
    Conflict,
    CoreError,
    NotFound,
    PlanRequired,
    TermsRequired,
    TicketTypeHasSales,
    Unprocessable,
    ValidationFailed,
)
from dialects.base import AuthFailed, BadRequest, RateLimited, ScopeMissing, json_response
from dialects.equaticket.requestid import request_id_of

log = logging.getLogger("ticketgate.equaticket")

DOC_URL = "https://equaticket.com/help/organizers/public-api"
RATE_LIMITED_MESSAGE = "Too many requests. Retry after the window resets."
STATUS = {
    "validation_error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "api_terms_required": 403,
    "not_found": 404,
    "conflict": 409,
    "unprocessable": 422,
    "rate_limited": 429,
    "internal_error": 500,
}
WIRE_FIELDS = {"quantity": "quantity_total"}


class Failure:
    """What one exception becomes: code, message, the failing field and extra headers."""

    def __init__(
        self, code: str, message: str, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.code, self.message, self.param, self.headers = code, message, param, headers or {}


def wire_field(field: str) -> str:
    return ".".join(WIRE_FIELDS.get(part, part) for part in field.split("."))


def _validation(exc: ValidationFailed) -> Failure:
    if not exc.errors:
        return Failure("validation_error", exc.message)
    first = exc.errors[0]
    param = wire_field(first.field)
    return Failure("validation_error", f"{param}: {first.message}", param)


def _http(request: Request, exc: HTTPException) -> Failure:
    if exc.status_code in (404, 405):  # like Stripe: an unknown method on a path is an unknown URL
        return Failure("not_found", f"Unrecognized request URL ({request.method}: {request.url.path})")
    return Failure("validation_error", str(exc.detail))


def _core(exc: CoreError) -> Failure:
    if isinstance(exc, ValidationFailed):
        return _validation(exc)
    if isinstance(exc, TermsRequired):
        return Failure("api_terms_required", exc.message)
    if isinstance(exc, PlanRequired):
        return Failure("forbidden", exc.message)
    if isinstance(exc, NotFound):
        return Failure("not_found", exc.message)
    if isinstance(exc, Conflict | TicketTypeHasSales):  # a sold type: its state forbids deletion
        return Failure("conflict", exc.message)
    if isinstance(exc, Unprocessable):
        return Failure("unprocessable", exc.message)
    return Failure("internal_error", "An unexpected error occurred.")


def classify(request: Request, exc: Exception) -> Failure:
    if isinstance(exc, CoreError):
        return _core(exc)
    if isinstance(exc, BadRequest):
        return Failure("validation_error", exc.message, exc.field)
    if isinstance(exc, AuthFailed):
        return Failure("unauthorized", str(exc) or "Invalid API key")
    if isinstance(exc, ScopeMissing):
        return Failure("forbidden", f"This API key lacks the required scope: {', '.join(exc.missing)}")
    if isinstance(exc, RateLimited):
        return Failure("rate_limited", RATE_LIMITED_MESSAGE, headers={"Retry-After": str(exc.state.reset_after)})
    if isinstance(exc, HTTPException):
        return _http(request, exc)
    return Failure("internal_error", "An unexpected error occurred.")


def envelope(request_id: str, failure: Failure) -> dict[str, object]:
    error: dict[str, object] = {"code": failure.code, "message": failure.message, "request_id": request_id}
    if failure.param is not None:
        error["param"] = failure.param
    error["doc_url"] = DOC_URL
    return {"error": error}


def error_response(request: Request, exc: Exception) -> Response:
    failure = classify(request, exc)
    body = envelope(request_id_of(request.scope), failure)
    return json_response(body, STATUS[failure.code], failure.headers)
