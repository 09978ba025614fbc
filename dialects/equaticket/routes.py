"""The route table: Equaticket's paths, each handler with the scopes it needs.

Every POST goes through ``idempotent`` (Idempotency-Key); the public listing has no auth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from core.keys import Principal
from dialects.base import json_response
from dialects.equaticket import openapi
from dialects.equaticket import routes_events as ev
from dialects.equaticket import routes_orders as od
from dialects.equaticket import routes_public as pub
from dialects.equaticket import routes_webhooks as wh
from dialects.equaticket.idempotency import idempotent

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

V1 = "/api/v1"
BoundHandler = Callable[["Equaticket", Request, Principal], Awaitable[Response]]

# (method, path, handler, scope); the order keeps literal paths before parameterised ones
TABLE: tuple[tuple[str, str, BoundHandler, str], ...] = (
    ("GET", "/events", ev.list_events_, "events:read"),
    ("POST", "/events", ev.create_event, "events:write"),
    ("GET", "/events/{event_id}", ev.get_event, "events:read"),
    ("PATCH", "/events/{event_id}", ev.update_event, "events:write"),
    ("POST", "/events/{event_id}/publish", ev.publish_event, "events:write"),
    ("POST", "/events/{event_id}/cancel", ev.cancel_event, "events:write"),
    ("GET", "/events/{event_id}/ticket-types", ev.list_ticket_types, "events:read"),
    ("POST", "/events/{event_id}/ticket-types", ev.create_ticket_type, "ticket_types:write"),
    (
        "PATCH",
        "/events/{event_id}/ticket-types/{ticket_type_id}",
        ev.update_ticket_type,
        "ticket_types:write",
    ),
    (
        "DELETE",
        "/events/{event_id}/ticket-types/{ticket_type_id}",
        ev.delete_ticket_type,
        "ticket_types:write",
    ),
    ("GET", "/events/{event_id}/orders", od.list_event_orders, "orders:read"),
    ("GET", "/events/{event_id}/attendees", od.list_event_attendees, "attendees:read"),
    ("GET", "/orders", od.list_orders_, "orders:read"),
    ("GET", "/orders/{order_id}", od.get_order_, "orders:read"),
    ("GET", "/attendees", od.list_attendees, "attendees:read"),
    ("GET", "/webhooks/subscriptions", wh.list_subscriptions, "webhooks:read"),
    ("POST", "/webhooks/subscriptions", wh.create_subscription, "webhooks:write"),
    ("GET", "/webhooks/subscriptions/{subscription_id}", wh.get_subscription, "webhooks:read"),
    ("PATCH", "/webhooks/subscriptions/{subscription_id}", wh.update_subscription, "webhooks:write"),
    ("DELETE", "/webhooks/subscriptions/{subscription_id}", wh.delete_subscription, "webhooks:write"),
    ("GET", "/webhooks/subscriptions/{subscription_id}/deliveries", wh.list_deliveries, "webhooks:read"),
)
RESET_PATH = "/api/settings/api-keys/reset-test-data"
RESET_SCOPE = "events:write"  # it deletes events; the narrowest scope that already allows that


def bind(d: Equaticket, handler: BoundHandler) -> Callable[[Request, Principal], Awaitable[Response]]:
    async def run(request: Request, principal: Principal) -> Response:
        return await handler(d, request, principal)

    run.__name__ = handler.__name__
    return run


def authed(d: Equaticket, method: str, handler: BoundHandler, scope: str) -> ASGIApp:
    bound = bind(d, handler)
    return d.endpoint(idempotent(d, bound) if method == "POST" else bound, scope)


def build_routes(d: Equaticket) -> list[BaseRoute]:
    # the API's own routes first: the router tries them in order, and these are the hot ones
    routes: list[BaseRoute] = [
        Route(V1 + path, authed(d, method, handler, scope), methods=[method]) for method, path, handler, scope in TABLE
    ]
    return [
        *routes,
        Route(f"{V1}/openapi.json", d.public(openapi_document), methods=["GET"]),
        Route(f"{V1}/public/events", d.public(public_handler(d)), methods=["GET"]),
        Route(RESET_PATH, authed(d, "POST", pub.reset_test, RESET_SCOPE), methods=["POST"]),
    ]


def public_handler(d: Equaticket) -> Callable[[Request], Awaitable[Response]]:
    async def public_events(request: Request) -> Response:
        return await pub.public_events(d, request)

    return public_events


async def openapi_document(request: Request) -> Response:
    return json_response(openapi.document())
