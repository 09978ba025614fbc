"""The operator HTTP API under /admin/v1: the CLI's operations over HTTP.

Authenticated by ``Authorization: Bearer <admin_token>`` from the config (the scheme is
required); mounted only when a token is configured. Failed authentications count against the
client address's budget shared with the dialects (``auth_failures_per_minute``), then 429.
``ROUTES`` is the whole surface: each row names the request model (``gateway.operations``) that
the path parameters and the JSON body validate into, and the operation that runs it. A POST
answers 201, a GET 200, both ``{"data": result}``. Checkouts honour ``Idempotency-Key`` with
Equaticket's records (``core.idempotency``): a retry replays the stored answer.
Errors, by ``ADMIN_ERRORS``: ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import boxoffices
from core import idempotency as records
from core.errors import (
    Conflict,
    CoreError,
    NotFound,
    PlanRequired,
    TermsRequired,
    Unprocessable,
    ValidationFailed,
)
from core.models import Input, Scope, parse
from dialects.base import (
    AuthFailed,
    BadRequest,
    BodyTimeout,
    BodyTooLarge,
    ErrorTable,
    MethodNotAllowed,
    RateLimited,
    RouteNotFound,
    Rule,
    Unavailable,
    as_outage,
    json_response,
    read_json,
    retry_after,
    rule_for,
)
from gateway import operations_offers as offer_ops
from gateway import operator
from gateway import operator_offers as offers
from gateway import operator_series as ops
from gateway.operations import (
    CheckIn,
    CreateBoxOffice,
    CreateKey,
    ListBoxOffices,
    ListKeys,
    ModeRequest,
    Operation,
    PlaceOrder,
    Refund,
    ResetTestData,
    RevokeKey,
    UpdateBoxOffice,
    VoidTicket,
)

if TYPE_CHECKING:
    from gateway.runtime import Gateway

log = logging.getLogger("ticketgate.admin")


@dataclass(frozen=True, slots=True)
class AdminRoute:
    method: str
    path: str
    model: type[Input]  # what the path parameters and the body validate into
    operation: Operation[Any]
    idempotent: bool = False  # honours Idempotency-Key (the model is a ModeRequest)


# products, discounts, vouchers and waitlists (gateway.operator_offers); a POST names its mode in
# the body, a GET (which reads no body) lists live mode: test mode is listed by the CLI's --mode
OFFER_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/box-offices/{box_office}/products", offer_ops.ListProducts, offers.list_products),
    AdminRoute("POST", "/box-offices/{box_office}/products", offer_ops.CreateProduct, offers.create_product),
    AdminRoute("GET", "/box-offices/{box_office}/discounts", offer_ops.ListDiscounts, offers.list_discounts),
    AdminRoute("POST", "/box-offices/{box_office}/discounts", offer_ops.CreateDiscount, offers.create_discount),
    AdminRoute("GET", "/box-offices/{box_office}/vouchers", offer_ops.ListVouchers, offers.list_vouchers),
    AdminRoute("POST", "/box-offices/{box_office}/vouchers", offer_ops.CreateVoucher, offers.create_voucher),
    AdminRoute("GET", "/box-offices/{box_office}/vouchers/{voucher}/codes", offer_ops.ListVoucherCodes,
               offers.list_voucher_codes),
    AdminRoute("POST", "/box-offices/{box_office}/vouchers/{voucher}/codes", offer_ops.AddVoucherCodes,
               offers.add_voucher_codes),
    AdminRoute("GET", "/box-offices/{box_office}/event-series/{series}/waitlist", offer_ops.ListWaitlistSignups,
               offers.list_waitlist_signups),
    AdminRoute("POST", "/box-offices/{box_office}/waitlist", offer_ops.CreateWaitlistSignup,
               offers.create_waitlist_signup),
)


ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/box-offices", ListBoxOffices, operator.list_box_offices),
    AdminRoute("POST", "/box-offices", CreateBoxOffice, operator.create_box_office),
    AdminRoute("POST", "/box-offices/{box_office}", UpdateBoxOffice, operator.update_box_office),
    AdminRoute("GET", "/box-offices/{box_office}/keys", ListKeys, operator.list_keys),
    AdminRoute("POST", "/box-offices/{box_office}/keys", CreateKey, operator.create_key),
    AdminRoute("POST", "/box-offices/{box_office}/reset-test-data", ResetTestData, operator.reset_test_data),
    AdminRoute("POST", "/keys/{key_id}/revoke", RevokeKey, operator.revoke_key),
    AdminRoute("POST", "/box-offices/{box_office}/orders", PlaceOrder, operator.create_order, idempotent=True),
    AdminRoute("POST", "/box-offices/{box_office}/orders/{order}/refund", Refund, operator.refund_order),
    AdminRoute("POST", "/box-offices/{box_office}/tickets/{ticket}/void", VoidTicket, operator.void_ticket),
    AdminRoute("POST", "/box-offices/{box_office}/tickets/{ticket}/checkin", CheckIn, operator.check_in),
    AdminRoute("POST", "/box-offices/{box_office}/series", ops.CreateSeries, ops.create_series),
    AdminRoute("POST", "/box-offices/{box_office}/series/{series}/ticket-types", ops.AddSeriesTicketType,
               ops.add_ticket_type),
    AdminRoute("POST", "/box-offices/{box_office}/series/{series}/occurrences", ops.AddOccurrence,
               ops.add_occurrence),
    AdminRoute("POST", "/box-offices/{box_office}/series/{series}/publish", ops.PublishSeries, ops.publish_series),
    *OFFER_ROUTES,
)


def _fields(exc: ValidationFailed) -> dict[str, Any]:
    return {"fields": [{"field": e.field, "message": e.message} for e in exc.errors]} if exc.errors else {}


# A rule without a code answers with the CoreError's own code.
ADMIN_ERRORS: ErrorTable = {
    AuthFailed: Rule(401, "unauthorized", "Send the admin token as a Bearer token"),
    RateLimited: Rule(429, "rate_limited", "Too many failed authentications from this address; retry later",
                      headers=lambda exc: {"Retry-After": str(exc.state.reset_after)}),
    BadRequest: Rule(400, "bad_request"),
    BodyTooLarge: Rule(413, "payload_too_large"),
    BodyTimeout: Rule(408, "request_timeout"),
    RouteNotFound: Rule(404, "not_found", "Not Found"),
    MethodNotAllowed: Rule(405, "http_error", "Method Not Allowed"),
    ValidationFailed: Rule(400, extra=_fields),
    NotFound: Rule(404),
    Conflict: Rule(409),
    TermsRequired: Rule(403),
    PlanRequired: Rule(403),
    CoreError: Rule(422),  # Unprocessable and any other refusal of a domain rule
    Unavailable: Rule(503, "service_unavailable", headers=retry_after),
    Exception: Rule(500, "internal_error", "Unexpected server error", unexpected=True),
}


def error_response(request: Request, exc: BaseException) -> Response:
    """The one function that writes the operator API's error body."""
    exc = as_outage(request, exc)
    rule = rule_for(ADMIN_ERRORS, exc)
    if rule.unexpected:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"code": rule.code or getattr(exc, "code", ""), "message": rule.text(exc)}
    return json_response({"error": {**body, **(rule.extra(exc) if rule.extra else {})}}, rule.status,
                         rule.headers(exc) if rule.headers else None)


async def read_request(request: Request, model: type[Input]) -> Input:
    """The path parameters and the JSON body (POST) as the route's request model."""
    body = await read_json(request) if request.method == "POST" else {}
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    taken = sorted(body.keys() & request.path_params.keys())
    if taken:  # a path parameter is not a body field
        raise ValidationFailed.single(taken[0], "unknown field")
    return parse(model, {**body, **request.path_params})


# --- Idempotency-Key on checkouts: Equaticket's records, under a prefix of their own -------------

IDEMPOTENCY_HEADER = "idempotency-key"
KEY_PREFIX = "admin:"  # apart from the Equaticket keys of the same box office and mode
MAX_KEY_LENGTH = records.MAX_KEY_LENGTH - len(KEY_PREFIX)
IDEMPOTENCY_TTL = timedelta(hours=24)
STALE_RUNNING = timedelta(minutes=5)  # a claim left running this long belongs to a dead request


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters")
    return KEY_PREFIX + key


async def once(gateway: Gateway, conn: asyncpg.Connection, request: Request, key: str, data: ModeRequest,
               run: Callable[[], Awaitable[Any]]) -> Response:
    """``run`` at most once per key in the box office and mode; a retry gets the stored answer."""
    scope = Scope((await boxoffices.get_box_office(conn, data.box_office))["id"], data.mode == "live")
    fingerprint = records.fingerprint(request.method, request.url.path, await request.body())
    claim = await records.claim(conn, scope, key, fingerprint, gateway.clock.now(), IDEMPOTENCY_TTL, STALE_RUNNING)
    if claim.outcome == "mismatch":
        raise Unprocessable("This Idempotency-Key was already used with a different request")
    if claim.outcome == "running":
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later")
    if claim.response is not None:
        stored = claim.response
        return Response(stored.body, stored.status, {**stored.headers, "Idempotent-Replayed": "true"})
    try:
        # the order and its stored answer commit together: a process killed between two commits
        # would leave an order whose retry (once the claim is stale) buys again
        async with conn.transaction():
            response = json_response({"data": await run()}, 201)
            await _settle(conn, scope, key, response)
        return response
    except Exception as exc:  # a refusal is stored like a success: the retry hears the same
        response = error_response(request, exc)
    except BaseException:
        await records.release(conn, scope, key)
        raise
    await _settle(conn, scope, key, response)
    return response


async def _settle(conn: asyncpg.Connection, scope: Scope, key: str, response: Response) -> None:
    if response.status_code >= 500:  # not an answer to keep: the retry runs again
        await records.release(conn, scope, key)
        return
    headers = {"content-type": response.headers["content-type"]}
    await records.store(conn, scope, key, records.StoredResponse(response.status_code, headers, bytes(response.body)))


def admin_app(gateway: Gateway) -> Starlette:
    token = (gateway.settings.admin_token or "").encode()
    checkout = gateway.services().checkout
    throttle = gateway.auth_throttle

    async def authorize(request: Request) -> None:
        if throttle is not None:  # a spent budget is refused before the token is compared
            throttle.check(request.scope)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token):
            return
        if throttle is not None:
            await throttle.failed(request.scope)  # RateLimited once this spends the budget
        raise AuthFailed("admin token")

    def endpoint(route: AdminRoute) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                await authorize(request)
                data = await read_request(request, route.model)
                key = idempotency_key(request) if route.idempotent else None
                assert gateway.pool is not None
                async with gateway.pool.acquire() as conn:
                    if key is not None and isinstance(data, ModeRequest):
                        return await once(gateway, conn, request, key, data,
                                          lambda: route.operation(conn, checkout, data))
                    result = await route.operation(conn, checkout, data)
            except Exception as exc:
                return error_response(request, exc)
            return json_response({"data": result}, 201 if request.method == "POST" else 200)

        return run

    async def unrouted(request: Request, exc: Exception) -> Response:
        # the router's own refusals: no route for the path, or not with this method
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return error_response(request, MethodNotAllowed((exc.headers or {}).get("Allow", "")))
        return error_response(request, RouteNotFound())

    routes = [Route(r.path, endpoint(r), methods=[r.method]) for r in ROUTES]
    app = Starlette(routes=routes, exception_handlers={HTTPException: unrouted})
    app.router.redirect_slashes = False  # an unknown path is a 404 in this API's format, never a 307
    return app
