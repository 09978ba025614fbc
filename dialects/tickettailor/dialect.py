"""The Ticket Tailor dialect: its tables, Basic auth, 2000 requests per key per hour."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from core.keys import KeyRules, Principal
from dialects.base import BadRequest, Dialect, Handler, RateLimitPolicy, Route, Services
from dialects.tickettailor import auth, openapi
from dialects.tickettailor.errors import ERRORS, format_error, rate_headers
from dialects.tickettailor.queries import Reads
from dialects.tickettailor.routes import ROUTES

if TYPE_CHECKING:
    from dialects.tickettailor.settings import Settings as TicketTailorSettings


class TicketTailor(Dialect):
    name = "tickettailor"
    routes = ROUTES
    errors = ERRORS
    keys = KeyRules("tickettailor", ("read", "write"), auth.new_secret, title="Ticket Tailor")
    reports_limits = True  # X-Rate-Limit-* on every authenticated response
    authenticates_unknown_paths = True  # GET /v1/nowhere without a key: 401, as every other path
    limit_headers = staticmethod(rate_headers)
    credential = staticmethod(auth.credential)
    format_error = staticmethod(format_error)
    settings: TicketTailorSettings

    def __init__(self, services: Services, settings: Any) -> None:
        super().__init__(services, settings)
        self.reads = Reads(services.public_base_url)

    def wrap(self, route: Route, handler: Handler) -> Handler:
        """A query parameter the operation's document does not list is refused (400), never
        ignored: a client whose filter is dropped silently works on the wrong records."""
        allowed = openapi.query_names(route.path, route.method)
        if allowed is None:
            return handler

        async def checked(d: Any, request: Any, p: Any) -> Any:
            if request.scope["query_string"]:
                unknown = sorted(request.query_params.keys() - allowed)
                if unknown:
                    raise BadRequest(f"Unknown query parameter: {unknown[0]}", unknown[0])
            return await handler(d, request, p)

        return functools.update_wrapper(checked, handler)

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        return self._policy

    @functools.cached_property
    def _policy(self) -> RateLimitPolicy:
        # fixed hourly windows: X-Rate-Limit-Reset is "seconds left in the current period"
        return RateLimitPolicy(self.settings.requests_per_hour, 3600, moving=False)

