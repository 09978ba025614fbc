"""The Equaticket dialect: Bearer keys, plan rate limits, request ids, its error envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from core.keys import KeyRules, Principal
from dialects.base import Dialect, RateLimitPolicy, Services
from dialects.equaticket import auth, errors, serializers
from dialects.equaticket.pagination import Cursors
from dialects.equaticket.requestid import RequestIdMiddleware
from dialects.equaticket.routes import build_routes

WINDOW_SECONDS = 60


class Equaticket(Dialect):
    name = "equaticket"
    keys = KeyRules("equaticket", ("events:read", "events:write", "ticket_types:write", "orders:read",
                               "attendees:read", "webhooks:read", "webhooks:write"),
                    auth.new_secret, requires_terms=True, title="Equaticket")

    def __init__(self, services: Services, settings: Any) -> None:
        super().__init__(services, settings)
        self.cursors = Cursors(services.cursor_secret)
        serializers.configure(services.public_base_url)

    def routes(self) -> Sequence[BaseRoute]:
        return build_routes(self)

    async def authenticate(self, request: Request) -> Principal:
        return await auth.authenticate(self.services.keys, request)

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        per_minute = self.settings.plan_requests_per_minute
        return RateLimitPolicy(per_minute.get(principal.plan, per_minute["free"]), WINDOW_SECONDS, moving=True)

    def error_response(self, request: Request, exc: Exception) -> Response:
        return errors.error_response(request, exc)

    def failure_response(self, request: Request, exc: Exception) -> Response:
        """An exception as a response, logged like the pipeline logs it (for idempotency)."""
        return self._failure(request, exc)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        return RequestIdMiddleware(app)
