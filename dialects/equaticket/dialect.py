"""The Equaticket dialect: its tables (routes, errors, keys) and the few methods around them."""

from __future__ import annotations

from typing import Any

from core.keys import KeyRules, Principal
from dialects.base import Dialect, Handler, RateLimitPolicy, Route, Services
from dialects.equaticket import auth
from dialects.equaticket.errors import ERRORS, format_error
from dialects.equaticket.idempotency import idempotent
from dialects.equaticket.pagination import Cursors
from dialects.equaticket.routes import ONE_STATEMENT, ROUTES
from dialects.equaticket.serializers import events_base
from dialects.equaticket.writes import event_created

WINDOW_SECONDS = 60


class Equaticket(Dialect):
    name = "equaticket"
    routes = ROUTES
    errors = ERRORS
    keys = KeyRules("equaticket", ("events:read", "events:write", "ticket_types:write", "orders:read",
                               "attendees:read", "webhooks:read", "webhooks:write"),
                    auth.new_secret, requires_terms=True, title="Equaticket")
    credential = staticmethod(auth.credential)
    format_error = staticmethod(format_error)

    def __init__(self, services: Services, settings: Any) -> None:
        super().__init__(services, settings)
        self.cursors = Cursors(services.cursor_secret)
        self.event_created = event_created(services.public_base_url)  # a created event's response

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        per_minute = self.settings.plan_requests_per_minute
        return RateLimitPolicy(per_minute.get(principal.plan, per_minute["free"]), WINDOW_SECONDS, moving=True)

    def wrap(self, route: Route, handler: Handler) -> Handler:
        """Every POST that needs a key honours Idempotency-Key."""
        if route.method == "POST" and route.scope:
            return idempotent(handler, ONE_STATEMENT.get(handler))
        return handler

    def events_base(self, principal: Principal) -> str:
        """Where the principal's box office lists its events (each event's ``url`` starts here)."""
        return events_base(self.services.public_base_url, principal.box_office_slug)
