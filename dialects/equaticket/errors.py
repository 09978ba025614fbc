"""Every failure as Equaticket's envelope: {"error": {code, message, request_id, param?, doc_url}}.

``ERRORS`` is the only place that chooses an HTTP status (looked up along the exception's
MRO); ``format_error`` the only one that writes the body. Core field names are translated
back to wire names (``quantity`` is ``quantity_total`` on the wire).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from core import errors as domain
from dialects import base
from dialects.base import ErrorTable, Rule, json_response
from dialects.requestids import request_id_of

DOC_URL = "https://equaticket.com/help/organizers/public-api"
RATE_LIMITED_MESSAGE = "Too many requests. Retry after the window resets."
UNEXPECTED = "An unexpected error occurred."
WIRE_FIELDS = {"quantity": "quantity_total"}


class PerRequest(str):
    """A message naming the request itself (the router's refusals), filled in by format_error."""

    __slots__ = ()

    def render(self, request: Request) -> str:
        return self.format(method=request.method, path=request.url.path)


# like Stripe: an unknown method on a known path is an unknown URL too
UNRECOGNIZED = PerRequest("Unrecognized request URL ({method}: {path})")


def wire_field(field: str) -> str:
    return ".".join(WIRE_FIELDS.get(part, part) for part in field.split("."))


def _validation_message(exc: domain.ValidationFailed) -> str:
    if not exc.errors:
        return exc.message
    return f"{wire_field(exc.errors[0].field)}: {exc.errors[0].message}"


def _validation_param(exc: domain.ValidationFailed) -> dict[str, Any]:
    return {"param": wire_field(exc.errors[0].field)} if exc.errors else {}


def _field_param(exc: base.BadRequest) -> dict[str, Any]:
    return {"param": exc.field} if exc.field is not None else {}


ERRORS: ErrorTable = {
    domain.ValidationFailed: Rule(400, "validation_error", _validation_message, _validation_param),
    base.BadRequest: Rule(400, "validation_error", extra=_field_param),  # also a body over the limit
    base.BodyTimeout: Rule(408, "request_timeout"),  # no documented code: HTTP's own status
    base.AuthFailed: Rule(401, "unauthorized", lambda exc: str(exc) or "Invalid API key"),
    base.ScopeMissing: Rule(403, "forbidden", lambda exc: f"This API key lacks the required scope: {exc}"),
    domain.TermsRequired: Rule(403, "api_terms_required"),
    domain.PlanRequired: Rule(403, "forbidden"),
    domain.NotFound: Rule(404, "not_found"),
    base.RouteNotFound: Rule(404, "not_found", UNRECOGNIZED),
    base.MethodNotAllowed: Rule(404, "not_found", UNRECOGNIZED),
    domain.Conflict: Rule(409, "conflict"),
    domain.TicketTypeHasSales: Rule(409, "conflict"),  # a sold type: its state forbids deletion
    domain.Unprocessable: Rule(422, "unprocessable"),
    base.RateLimited: Rule(429, "rate_limited", RATE_LIMITED_MESSAGE,
                           headers=lambda exc: {"Retry-After": str(exc.state.reset_after)}),
    base.Unavailable: Rule(503, "service_unavailable", headers=base.retry_after),
    domain.CoreError: Rule(500, "internal_error", UNEXPECTED, unexpected=True),  # a core error without a row
    Exception: Rule(500, "internal_error", UNEXPECTED, unexpected=True),
}


def format_error(request: Request, exc: BaseException, rule: Rule) -> Response:
    message = rule.message.render(request) if isinstance(rule.message, PerRequest) else rule.text(exc)
    error: dict[str, Any] = {"code": rule.code, "message": message, "request_id": request_id_of(request.scope)}
    if rule.extra is not None:
        error.update(rule.extra(exc))
    error["doc_url"] = DOC_URL
    return json_response({"error": error}, rule.status, rule.headers(exc) if rule.headers else None)
