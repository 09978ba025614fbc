"""The app factory and the shared dialect pipeline, exercised through a fake dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from core.errors import CoreError, NotFound
from core.keys import Principal
from dialects import registry
from dialects.base import (
    AuthFailed,
    Dialect,
    LimitState,
    MethodNotAllowed,
    RateLimited,
    RateLimitPolicy,
    RouteNotFound,
    Rule,
    ScopeMissing,
    json_response,
)
from dialects.base import Route as R
from gateway.app import build_app, health_routes
from gateway.config import load_settings
from gateway.runtime import Gateway


async def whoami(d: Dialect, request: Request, p: Principal) -> Response:
    return json_response({"box_office": p.box_office_slug, "live": p.livemode})


async def boom(d: Dialect, request: Request, p: Principal) -> Response:
    raise RuntimeError("unexpected")


async def missing(d: Dialect, request: Request, p: Principal) -> Response:
    raise NotFound("event")


class FakeDialect(Dialect):
    """The smallest dialect: one echo endpoint, one that fails, one that needs a scope."""

    name = "fake"
    reports_limits = True
    routes = (
        R("GET", "/whoami", whoami, "events:read"),
        R("GET", "/boom", boom, "events:read"),
        R("GET", "/missing", missing, "events:read"),
        R("POST", "/write", whoami, "events:write"),
    )
    errors = {
        AuthFailed: Rule(401, "auth"),
        ScopeMissing: Rule(403, "scope", extra=lambda exc: {"missing": exc.missing}),
        RateLimited: Rule(429, "slow down"),
        CoreError: Rule(404),  # the CoreError's own code
        RouteNotFound: Rule(404, "route"),
        MethodNotAllowed: Rule(405, "route"),
        Exception: Rule(500, "internal", unexpected=True),
    }

    def credential(self, request: Request) -> str:
        return request.headers.get("x-key", "")

    def rate_limit(self, principal: Principal) -> RateLimitPolicy:
        return RateLimitPolicy(3, 60, moving=True)

    def limit_headers(self, state: LimitState) -> dict[str, str]:
        return {"x-left": str(state.remaining)}

    def format_error(self, request: Request, exc: BaseException, rule: Rule) -> Response:
        body = {"err": rule.code or getattr(exc, "code", ""), **(rule.extra(exc) if rule.extra else {})}
        return json_response(body, rule.status)


def fake_classes() -> dict[str, type[Dialect]]:
    """The fake under each registered name: keys authenticate by the dialect's name."""
    return {name: type(f"Fake{name.title()}", (FakeDialect,), {"name": name}) for name in registry.NAMES}


@pytest.fixture(scope="module")
async def fake_gateway(database_dsn: str) -> AsyncIterator[Gateway]:
    settings = load_settings(environ={}, database_url=database_dsn, dialects={
        "ticketsmart": {"hosts": ["ts.localhost"]},
        "equaticket": {"enabled": False},
    })
    gateway = Gateway(settings)
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
async def fake(fake_gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(fake_gateway, fake_classes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_readiness_fails_without_database():
    from starlette.applications import Starlette

    app = Starlette(routes=health_routes(Gateway(load_settings(environ={}))))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/readyz")).status_code == 503


async def test_mounts_hosts_and_disabled_dialects(fake, box_office, make_key):
    ts_key = await make_key(box_office, "ticketsmart")
    eq_key = await make_key(box_office, "equaticket")
    mounted = await fake.get("/ticketsmart/whoami", headers={"x-key": ts_key})
    assert mounted.json() == {"box_office": box_office["slug"], "live": True}
    bare = await fake.get("/whoami", headers={"x-key": ts_key, "host": "ts.localhost"})
    assert bare.status_code == 200
    assert (await fake.get("/whoami", headers={"x-key": ts_key})).status_code == 404
    assert (await fake.get("/equaticket/whoami", headers={"x-key": eq_key})).status_code == 404


async def test_a_key_authenticates_only_in_its_own_dialect(fake, box_office, make_key):
    ts_key = await make_key(box_office, "ticketsmart")
    refused = await fake.get("/tickettailor/whoami", headers={"x-key": ts_key})
    assert (refused.status_code, refused.json()) == (401, {"err": "auth"})


async def test_pipeline_renders_every_failure_in_the_dialect_format(fake, box_office, make_key):
    key = await make_key(box_office, "ticketsmart", scopes=["events:read"])
    headers = {"x-key": key}
    assert (await fake.get("/ticketsmart/boom", headers=headers)).json() == {"err": "internal"}
    assert (await fake.get("/ticketsmart/missing", headers=headers)).json() == {"err": "not_found"}
    scope = await fake.post("/ticketsmart/write", headers=headers)
    assert scope.json() == {"err": "scope", "missing": ["events:write"]}
    assert (await fake.get("/ticketsmart/nowhere", headers=headers)).json() == {"err": "route"}


async def test_rate_limit_counts_per_key_and_sets_headers(fake, box_office, make_key):
    key = await make_key(box_office, "ticketsmart")
    other = await make_key(box_office, "ticketsmart")
    seen = [await fake.get("/ticketsmart/whoami", headers={"x-key": key}) for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers.get("x-left") for r in seen[:3]] == ["2", "1", "0"]
    assert (await fake.get("/ticketsmart/whoami", headers={"x-key": other})).status_code == 200


async def test_revoked_key_fails_on_the_next_request(fake, conn, box_office, make_key, fake_gateway):
    from core.keys import revoke_key

    key = await make_key(box_office, "ticketsmart")
    assert (await fake.get("/ticketsmart/whoami", headers={"x-key": key})).status_code == 200
    key_id = await conn.fetchval("SELECT max(id) FROM api_keys WHERE box_office_id = $1", box_office["id"])
    await revoke_key(conn, key_id)
    import asyncio

    for _ in range(50):  # the notification crosses the server; it is delivered within milliseconds
        if (await fake.get("/ticketsmart/whoami", headers={"x-key": key})).status_code == 401:
            break
        await asyncio.sleep(0.01)
    assert (await fake.get("/ticketsmart/whoami", headers={"x-key": key})).status_code == 401


async def test_maintenance_purges_expired_idempotency_records(gateway, conn, box_office, clock):
    from gateway import maintenance

    await conn.execute(
        "INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, created_at, expires_at)"
        " VALUES ($1, true, 'old', '\\x00', now() - interval '2 days', now() - interval '1 day'),"
        " ($1, true, 'fresh', '\\x00', now(), now() + interval '1 day')", box_office["id"])
    assert await maintenance.run_once(gateway.pool, clock) >= 1
    left = await conn.fetch("SELECT key FROM idempotency_keys WHERE box_office_id = $1", box_office["id"])
    assert [r["key"] for r in left] == ["fresh"]
