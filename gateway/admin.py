"""The operator HTTP API under /admin/v1: the CLI's operations over HTTP.

Authenticated by ``Authorization: Bearer <admin_token>`` from the config; mounted only
when a token is configured. Errors: ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
from dialects.base import BadRequest, json_response, read_json
from gateway import operator

if TYPE_CHECKING:
    from gateway.runtime import Gateway

Op = Callable[[Request, asyncpg.Connection, dict[str, Any]], Awaitable[Any]]

STATUS = ((ValidationFailed, 400), (NotFound, 404), (Conflict, 409), (TermsRequired, 403),
          (PlanRequired, 403), (Unprocessable, 422))


def error(status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return json_response({"error": body}, status)


def render(exc: Exception) -> Response:
    if isinstance(exc, BadRequest):
        return error(400, "bad_request", exc.message)
    if isinstance(exc, CoreError):
        status = next((s for cls, s in STATUS if isinstance(exc, cls)), 422)
        fields = [{"field": e.field, "message": e.message} for e in getattr(exc, "errors", [])]
        return error(status, exc.code, exc.message, fields)
    if isinstance(exc, HTTPException):
        return error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error", str(exc.detail))
    return error(500, "internal_error", "Unexpected server error")


def admin_app(gateway: Gateway) -> Starlette:
    token = (gateway.settings.admin_token or "").encode()

    def op(fn: Op) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
            if not token or not hmac.compare_digest(given, token):
                return error(401, "unauthorized", "Send the admin token as a Bearer token")
            try:
                body = await read_json(request) if request.method == "POST" else {}
                if not isinstance(body, dict):
                    raise BadRequest("The body must be a JSON object")
                assert gateway.pool is not None
                async with gateway.pool.acquire() as conn:
                    result = await fn(request, conn, body)
            except Exception as exc:
                return render(exc)
            return json_response({"data": result}, 201 if request.method == "POST" else 200)

        return run

    checkout = gateway.services().checkout
    p = "box_office"

    routes = [
        Route("/box-offices", op(lambda r, c, b: operator.list_box_offices(c)), methods=["GET"]),
        Route("/box-offices", op(lambda r, c, b: operator.create_box_office(c, b)), methods=["POST"]),
        Route("/box-offices/{box_office}", op(
            lambda r, c, b: operator.update_box_office(c, r.path_params[p], b)), methods=["POST"]),
        Route("/box-offices/{box_office}/keys", op(
            lambda r, c, b: operator.list_keys(c, r.path_params[p])), methods=["GET"]),
        Route("/box-offices/{box_office}/reset-test-data", op(
            lambda r, c, b: operator.reset_test_data(c, r.path_params[p])), methods=["POST"]),
        Route("/box-offices/{box_office}/keys", op(
            lambda r, c, b: operator.create_key(c, r.path_params[p], **_fields(
                b, "dialect", "scopes", "mode", "name", required=("dialect",)))),
              methods=["POST"]),
        Route("/keys/{key_id}/revoke", op(
            lambda r, c, b: operator.revoke_key(c, r.path_params["key_id"])), methods=["POST"]),
        Route("/box-offices/{box_office}/orders", op(
            lambda r, c, b: operator.create_order(c, checkout, r.path_params[p], **_fields(
                b, "event", "tickets", "email", "name", "mode", "phone", "access_code",
                required=("event", "tickets", "email")))),
              methods=["POST"]),
        Route("/box-offices/{box_office}/orders/{order}/refund", op(
            lambda r, c, b: operator.refund_order(c, checkout, r.path_params[p], r.path_params["order"],
                                                  **_fields(b, "amount", "mode"))), methods=["POST"]),
        Route("/box-offices/{box_office}/tickets/{ticket}/void", op(
            lambda r, c, b: operator.void_ticket(c, r.path_params[p], r.path_params["ticket"],
                                                 **_fields(b, "mode"))), methods=["POST"]),
        Route("/box-offices/{box_office}/tickets/{ticket}/checkin", op(
            lambda r, c, b: operator.check_in(c, checkout, r.path_params[p], r.path_params["ticket"],
                                              **_fields(b, "nonce", "mode", required=("nonce",)))),
              methods=["POST"]),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        return render(exc)

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


def _fields(body: dict[str, Any], *allowed: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationFailed.single(unknown[0], "unknown field")
    missing = [name for name in required if body.get(name) is None]
    if missing:
        raise ValidationFailed([FieldError(name, "is required") for name in missing])
    return {k: v for k, v in body.items() if v is not None}
