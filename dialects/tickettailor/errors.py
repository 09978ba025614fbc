"""Every failure as Ticket Tailor's error body: ``{status, error_code, message[, errors]}``.

The ``error_code`` values are the "Error code" column of the vendor's error table
("Bad Request", "Unauthorized", ...); ``errors`` appears only for validation failures.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from core.errors import (
    Conflict,
    CoreError,
    NotFound,
    PlanRequired,
    TermsRequired,
    Unprocessable,
    ValidationFailed,
)
from dialects.base import AuthFailed, BadRequest, LimitState, RateLimited, ScopeMissing, json_response

ERROR_CODES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Validation error",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
DEFAULT_MESSAGES: dict[int, str] = {
    400: "The request was invalid, often due to a missing a required parameter.",
    401: "Your request was not authenticated correctly.",
    403: "You do not have permission to perform the request.",
    404: "The requested resource does not exist.",
    405: "The method is not allowed for the requested resource.",
    422: "A validation error occurred.",
    429: "Too many requests hit the API too quickly.",
    500: "An error occurred on Ticket Tailor's end with our API.",
}
# Basic auth challenges let clients that wait for one (CURLAUTH_ANY, .NET credentials) retry
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Ticket Tailor API"'}


def rate_headers(state: LimitState) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(state.limit),
        "X-Rate-Limit-Remaining": str(state.remaining),
        "X-Rate-Limit-Reset": str(state.reset_after),
    }


def body(status: int, message: str | None = None) -> dict[str, object]:
    return {"status": status, "error_code": ERROR_CODES.get(status, "Error"),
            "message": message or DEFAULT_MESSAGES.get(status, "Error")}


def _status_of(exc: Exception) -> int:
    if isinstance(exc, BadRequest | Conflict):
        return 400
    if isinstance(exc, AuthFailed):
        return 401
    if isinstance(exc, ScopeMissing | TermsRequired | PlanRequired):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ValidationFailed | Unprocessable):
        return 422
    if isinstance(exc, RateLimited):
        return 429
    return 500


def _message(exc: Exception, status: int) -> str | None:
    if isinstance(exc, BadRequest | CoreError):
        return exc.message
    if isinstance(exc, ScopeMissing):
        return f"The API key is missing the scope: {exc}"
    if isinstance(exc, AuthFailed):
        return str(exc) or None
    return None


def _validation(exc: ValidationFailed) -> list[dict[str, object]]:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(err.field, []).append(err.message)
    return [{"field": field, "messages": messages} for field, messages in fields.items()]


def error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    status = _status_of(exc)
    content = body(status, _message(exc, status))
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        content["errors"] = _validation(exc)
    if isinstance(exc, RateLimited):
        headers = {**rate_headers(exc.state), "Retry-After": str(exc.state.reset_after)}
    elif isinstance(exc, AuthFailed):
        headers = dict(CHALLENGE)
    return json_response(content, status, headers)


def _http_error(exc: HTTPException) -> Response:
    # unknown routes (404) and wrong methods (405) from the router, in the vendor's format
    status = exc.status_code if exc.status_code in ERROR_CODES and exc.status_code != 500 else 400
    return json_response(body(status), status, dict(exc.headers or {}))
