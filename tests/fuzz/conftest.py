"""The fuzz run's world: one box office per dialect with events, ticket types, orders, issued
tickets, a check-in and a webhook subscription, and the app a server runs over the session's
database (its own gateway, started in schemathesis' event loop)."""

from __future__ import annotations

from typing import Any

import pytest

from core import subscriptions
from core.models import Scope, parse
from gateway.app import create_app
from gateway.config import load_settings
from gateway.runtime import Gateway
from tests import factories


@pytest.fixture
def served_app(database_dsn: str) -> Any:
    """The app as ``ticketgate serve`` builds it, one per run (the engine ends the lifespans it
    started); rate limits and the failed-authentication throttle off, so the fuzzer meets the
    handlers (their 429s are documented and tested in each dialect's own suite and
    tests/gateway/test_auth_throttle.py)."""
    settings = load_settings(environ={}, database_url=database_dsn, admin_token="fuzz-admin-token-0123456789",
                             development=True, pool_min_size=1, pool_max_size=4, webhook_worker=False,
                             rate_limits_enabled=False, auth_failures_per_minute=0, metrics="off",
                             log_level="error")
    return create_app(settings)


@pytest.fixture
async def seeded(gateway: Gateway, checkout: Any) -> Any:
    """A box office that has a bit of everything, and a live key of each dialect (every scope)."""
    async with factories.pool(gateway).acquire() as conn:
        office = await factories.box_office(conn)
        scope = Scope(office["id"], True)
        for title in ("Comedy Night", "Jazz Evening"):
            event_id, type_id = await factories.event_with_type(conn, scope, title=title, quantity=40)
            for quantity in (1, 2):
                await checkout.place(conn, scope, factories.order_input(event_id, type_id, quantity))
        await subscriptions.create_subscription(conn, scope, "pro", parse(subscriptions.SubscriptionCreate, {
            "url": "https://hooks.example.com/ticketgate", "event_types": ["order.placed"]}),
            gateway.services().webhooks)
        office_keys = {name: await factories.key(conn, office, name) for name in ("ticketsmart", "tickettailor",
                                                                                  "equaticket")}
    return office, office_keys
