"""TicketSmart v1 (https://ticketsmart.ai/api/v1) over the core: the Dialect contract filled in."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from core.keys import KeyRules, Principal
from dialects.base import Dialect, RateLimitPolicy
from dialects.ticketsmart import auth, errors, routes
from dialects.ticketsmart.cors import CORSMiddleware

WINDOW_SECONDS = 60


class TicketSmart(Dialect):
    name = "ticketsmart"
    keys = KeyRules("ticketsmart", ("events:read", "events:write"), auth.new_secret, max_active=10, title="TicketSmart")

    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)

    async def authenticate(self, request: Request) -> Principal:
        return await auth.authenticate(self.services.keys, request)

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        # documented: 60 requests per key in a rolling 60-second window, every endpoint
        return RateLimitPolicy(self.settings.requests_per_minute, WINDOW_SECONDS, moving=True)

    def error_response(self, request: Request, exc: Exception) -> Response:
        return errors.error_response(request, exc)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        return CORSMiddleware(app)
