"""errors.py alone: every exception the pipeline or core can raise, in the vendor's shape,
through the error table and its one formatter (as the pipeline renders them)."""

from __future__ import annotations

import orjson
import pytest

from core import errors as core_errors
from core.errors import Conflict, CoreError, FieldError, NotFound, PlanRequired, SoldOut, ValidationFailed
from dialects.base import (
    AuthFailed,
    BadRequest,
    LimitState,
    MethodNotAllowed,
    RateLimited,
    RouteNotFound,
    ScopeMissing,
    rule_for,
)
from dialects.tickettailor.errors import ERRORS, format_error


def render(exc: Exception) -> tuple[int, dict, dict]:
    response = format_error(None, exc, rule_for(ERRORS, exc))
    return response.status_code, orjson.loads(response.body), dict(response.headers)


@pytest.mark.parametrize(("exc", "status", "code", "message"), [
    (BadRequest("limit must be an integer"), 400, "Bad Request", "limit must be an integer"),
    (Conflict("The ticket is already void"), 400, "Bad Request", "The ticket is already void"),
    (AuthFailed("Invalid API key"), 401, "Unauthorized", "Invalid API key"),
    (ScopeMissing(["read"]), 403, "Forbidden", "The API key is missing the scope: read"),
    (PlanRequired("Upgrade"), 403, "Forbidden", "Upgrade"),
    (NotFound("order", "Order not found"), 404, "Not Found", "Order not found"),
    (SoldOut("GA is sold out"), 422, "Validation error", "GA is sold out"),
    (RouteNotFound(), 404, "Not Found", "The requested resource does not exist."),
    (MethodNotAllowed("GET, HEAD"), 405, "Method Not Allowed",
     "The method is not allowed for the requested resource."),
    (BadRequest(""), 400, "Bad Request", "The request was invalid, often due to a missing a required parameter."),
    (CoreError("Refused"), 500, "Internal Server Error", "Refused"),
    (RuntimeError("bug"), 500, "Internal Server Error", "An error occurred on Ticket Tailor's end with our API."),
])
def test_status_code_and_message(exc, status, code, message):
    got_status, body, _ = render(exc)
    assert got_status == status
    assert body == {"status": status, "error_code": code, "message": message}


def test_validation_groups_messages_by_field():
    exc = ValidationFailed([FieldError("email", "is required"), FieldError("email", "is invalid"),
                            FieldError("name", "too long")])
    status, body, _ = render(exc)
    assert status == 422
    assert body["errors"] == [{"field": "email", "messages": ["is required", "is invalid"]},
                              {"field": "name", "messages": ["too long"]}]


def test_rate_limited_carries_limit_headers_and_retry_after():
    status, _, headers = render(RateLimited(LimitState(False, 2000, 0, 1234)))
    assert status == 429
    assert headers["x-rate-limit-limit"] == "2000" and headers["x-rate-limit-remaining"] == "0"
    assert headers["x-rate-limit-reset"] == "1234" and headers["retry-after"] == "1234"


def test_auth_failures_carry_the_basic_challenge():
    _, _, headers = render(AuthFailed("Invalid API key"))
    assert headers["www-authenticate"] == 'Basic realm="Ticket Tailor API"'


def test_method_not_allowed_says_which_methods_are():
    _, _, headers = render(MethodNotAllowed("GET, HEAD"))
    assert headers["allow"] == "GET, HEAD"


def test_every_core_error_has_a_row_of_its_own_or_a_parents():
    classes = [c for c in vars(core_errors).values() if isinstance(c, type) and issubclass(c, CoreError)]
    for cls in classes:
        assert rule_for(ERRORS, cls.__new__(cls)) is not ERRORS[Exception], cls  # none falls to the 500 bug row
    assert ERRORS[Exception].unexpected and ERRORS[Exception].status == 500
    assert not any(rule.unexpected for cls, rule in ERRORS.items() if cls is not Exception)
