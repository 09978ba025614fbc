"""The Ticket Tailor dialect: routes, Basic auth, 2000 requests per key per hour."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core.keys import KeyRules, Principal
from dialects.base import Dialect, LimitState, RateLimitPolicy, Services, json_response
from dialects.tickettailor import auth, errors, openapi, routes
from dialects.tickettailor.queries import Reads

if TYPE_CHECKING:
    from dialects.tickettailor.settings import Settings as TicketTailorSettings

RouteHandler = Callable[["TicketTailor", Request, Principal], Awaitable[Response]]


class TicketTailor(Dialect):
    name = "tickettailor"
    keys = KeyRules("tickettailor", ("read",), auth.new_secret, title="Ticket Tailor")
    reports_limits = True  # X-Rate-Limit-* on every authenticated response
    settings: TicketTailorSettings

    def __init__(self, services: Services, settings: Any) -> None:
        super().__init__(services, settings)
        self.reads = Reads(services.public_base_url)

    def routes(self) -> Sequence[BaseRoute]:
        api = [Route(path, self.endpoint(self._bind(handler), "read"), methods=["GET"])
               for path, handler in routes.ENDPOINTS]
        return [*api, Route("/v1/openapi.json", self.public(self._openapi), methods=["GET"])]

    def _bind(self, handler: RouteHandler) -> Callable[[Request, Principal], Awaitable[Response]]:
        async def bound(request: Request, principal: Principal) -> Response:
            return await handler(self, request, principal)

        bound.__name__ = handler.__name__
        return bound

    async def _openapi(self, request: Request) -> Response:
        return json_response(openapi.document(request.scope.get("root_path", "")))

    async def authenticate(self, request: Request) -> Principal:
        return await auth.authenticate(request, self.services.keys)

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        # fixed hourly windows: X-Rate-Limit-Reset is "seconds left in the current period"
        return RateLimitPolicy(self.settings.requests_per_hour, 3600, moving=False)

    def limit_headers(self, state: LimitState) -> dict[str, str]:
        return errors.rate_headers(state)

    def error_response(self, request: Request, exc: Exception) -> Response:
        return errors.error_response(request, exc)
