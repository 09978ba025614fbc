"""TicketSmart v1 (https://ticketsmart.ai/api/v1) over the core: the Dialect contract filled in."""

from __future__ import annotations

import functools

from starlette.types import ASGIApp

from core.keys import KeyRules, Principal
from dialects.base import Dialect, RateLimitPolicy
from dialects.ticketsmart import auth
from dialects.ticketsmart.cors import CORSMiddleware
from dialects.ticketsmart.errors import ERRORS, format_error
from dialects.ticketsmart.routes import ROUTES

WINDOW_SECONDS = 60


class TicketSmart(Dialect):
    name = "ticketsmart"
    routes = ROUTES
    errors = ERRORS
    keys = KeyRules("ticketsmart", ("events:read", "events:write"), auth.new_secret, max_active=10, title="TicketSmart")
    credential = staticmethod(auth.credential)
    format_error = staticmethod(format_error)

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        return self._policy

    @functools.cached_property
    def _policy(self) -> RateLimitPolicy:
        # documented: 60 requests per key in a rolling 60-second window, every endpoint
        return RateLimitPolicy(self.settings.requests_per_minute, WINDOW_SECONDS, moving=True)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        return CORSMiddleware(app)
