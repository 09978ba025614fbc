"""Every failure as Ticket Tailor's error body: ``{status, error_code, message[, errors]}``.

One table maps each exception class to its status (looked up along the class's MRO), and
``format_error`` writes the body. The ``error_code`` values are the "Error code" column of
the vendor's error table ("Bad Request", "Unauthorized", ...); a rule without a message of
its own says the exception's, or the vendor's default text for the status; ``errors``
appears only for validation failures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core import errors as domain
from dialects import base
from dialects.base import ErrorTable, LimitState, Rule, json_response

ERROR_CODES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Validation error",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Internal Server Error",  # the vendor's table gives every 50X this code
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
LIMIT_HEADERS = LIMIT, REMAINING, RESET = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")


def rate_headers(state: LimitState) -> dict[str, str]:
    # on every authenticated response: a literal, not a zip over the names
    return {LIMIT: str(state.limit), REMAINING: str(state.remaining), RESET: str(state.reset_after)}


def _validation(exc: domain.ValidationFailed) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(err.field, []).append(err.message)
    return {"errors": [{"field": field, "messages": messages} for field, messages in fields.items()]}


def _limited(exc: base.RateLimited) -> dict[str, str]:
    return {**rate_headers(exc.state), "Retry-After": str(exc.state.reset_after)}


def _allow(exc: base.MethodNotAllowed) -> dict[str, str]:
    return {"Allow": exc.allow} if exc.allow else {}


def _rule(status: int, message: str | Callable[[Any], str] | None = None, **options: Any) -> Rule:
    return Rule(status, ERROR_CODES[status], message, **options)


def _default(status: int, **options: Any) -> Rule:
    """A rule that always says the vendor's default text for ``status``."""
    return _rule(status, DEFAULT_MESSAGES[status], **options)


ERRORS: ErrorTable = {
    base.BadRequest: _rule(400),
    domain.Conflict: _rule(400),
    base.AuthFailed: _rule(401, headers=lambda exc: dict(CHALLENGE)),
    base.ScopeMissing: _rule(403, lambda exc: f"The API key is missing the scope: {exc}"),
    domain.TermsRequired: _rule(403),
    domain.PlanRequired: _rule(403),
    domain.NotFound: _rule(404),
    base.RouteNotFound: _default(404),
    base.MethodNotAllowed: _default(405, headers=_allow),
    domain.ValidationFailed: _rule(422, extra=_validation),
    domain.Unprocessable: _rule(422),
    base.RateLimited: _default(429, headers=_limited),
    base.Unavailable: _rule(503, headers=base.retry_after),
    domain.CoreError: _rule(500),  # a domain refusal without a row of its own still says its message
    Exception: _default(500, unexpected=True),
}


def format_error(request: Request | None, exc: BaseException, rule: Rule) -> Response:
    """The vendor's error body for ``rule``: the one place it is written."""
    content: dict[str, Any] = {"status": rule.status, "error_code": rule.code,
                               "message": rule.text(exc) or DEFAULT_MESSAGES.get(rule.status, "Error")}
    if rule.extra is not None:
        content.update(rule.extra(exc))
    return json_response(content, rule.status, rule.headers(exc) if rule.headers is not None else None)
