"""The app factory: health checks, metrics, public event pages, the operator API and every
enabled dialect, inside the one outer layer (request ids, metrics, access log).

Routing order, written once here: each dialect's mount prefix first (the hot paths, looked up
by prefix in gateway.dispatch before Starlette's router), then health and admin paths, then
each dialect's host names (vendor bare paths, for requests that match nothing else).
Prefixes cannot take the health or admin paths (dialects.settings refuses them).
"""

from __future__ import annotations

import gc
import hmac
import logging
import re
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Host, Mount, Route

from dialects import registry
from dialects.base import Dialect, json_response
from gateway import pages
from gateway.admin import admin_app
from gateway.config import Settings, load_settings
from gateway.dispatch import GatewayApp
from gateway.limits import BodyLimit
from gateway.metrics import CONTENT_TYPE
from gateway.observe import Observe
from gateway.runtime import Gateway

log = logging.getLogger("ticketgate")

def health_routes(gateway: Gateway) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if gateway.draining:
            return json_response({"status": "draining"}, 503)
        checks = await gateway.checks()
        if all(state == "ok" for state in checks.values()):
            return json_response({"status": "ready", **checks})
        return json_response({"status": "unavailable", **checks}, 503)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]


def metrics_routes(gateway: Gateway) -> list[BaseRoute]:
    """``/metrics`` on the main port, for the admin token only (``metrics = "main"``)."""
    metrics, token = gateway.metrics, (gateway.settings.admin_token or "").encode()
    if metrics is None or gateway.settings.metrics != "main":
        return []
    if not token:
        log.warning("metrics = \"main\" needs an admin_token: /metrics is not served")
        return []

    async def scrape(request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
            return json_response({"error": {"code": "unauthorized", "message": "admin token required"}}, 401,
                                 {"WWW-Authenticate": "Bearer"})
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return [Route("/metrics", scrape)]


def page_routes(gateway: Gateway) -> list[BaseRoute]:
    """The public event pages every dialect's event ``url`` points at."""
    async def event(request: Request) -> Response:
        assert gateway.pool is not None
        return await pages.event_page(gateway.pool, request, gateway.clock.now())

    return [Route("/events/{box_office}/{slug}", event)]


def mount(prefix: str, app: Any) -> Mount:
    """A mount whose prefix takes every path below it, newlines included: Starlette's ``.*``
    stops at a decoded ``%0A``, and the request fell through to a plain-text 404 outside the
    dialect (no CORS, not its format)."""
    route = Mount(prefix, app=app)
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    return route


def dialect_routes(
    gateway: Gateway, classes: Mapping[str, type[Dialect]] | None = None
) -> tuple[list[BaseRoute], list[BaseRoute]]:
    """Each enabled dialect's mount, and its host routes."""
    services = gateway.services()
    hosts: list[BaseRoute] = []
    mounts: list[BaseRoute] = []
    for name in registry.NAMES:
        settings = gateway.settings.dialect(name)
        if not settings.enabled:
            continue
        cls = classes[name] if classes is not None else registry.dialect(name)
        app = cls(services, settings).app()
        hosts += [Host(host, app=app) for host in settings.hosts]
        mounts.append(mount(settings.prefix, app))
    return mounts, hosts


def gateway_routes(gateway: Gateway, classes: Mapping[str, type[Dialect]] | None = None) -> list[BaseRoute]:
    mounts, hosts = dialect_routes(gateway, classes)
    routes = [*mounts, *health_routes(gateway), *metrics_routes(gateway), *page_routes(gateway)]
    if gateway.settings.admin_token:
        routes.append(mount("/admin/v1", admin_app(gateway)))
    return routes + hosts


def middleware(gateway: Gateway) -> list[Middleware]:
    """The layers around every route, outermost first: written once, here."""
    settings = gateway.settings
    return [Middleware(Observe, metrics=gateway.metrics, tracing=settings.tracing),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)]


def build_app(gateway: Gateway, classes: Mapping[str, type[Dialect]] | None = None) -> GatewayApp:
    """The whole app over an already started gateway (tests, embedding).

    ``classes`` replaces the dialect implementations (the contract tests use a fake one).
    """
    app = GatewayApp(middleware=middleware(gateway))
    app.serve(gateway_routes(gateway, classes))
    app.state.gateway = gateway
    return app


def create_app(settings: Settings | None = None) -> GatewayApp:
    """The app for a server: the gateway starts in the lifespan, then routes are mounted."""
    gateway = Gateway(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: GatewayApp) -> AsyncIterator[None]:
        await gateway.start()
        app.serve(gateway_routes(gateway))
        drain_on_signals(gateway)
        # everything built so far lives as long as the process: out of the collector's sight,
        # full collections only walk what requests allocate (they paused the worker for ms)
        gc.freeze()
        try:
            yield
        finally:
            await gateway.stop()

    app = GatewayApp(lifespan=lifespan, middleware=middleware(gateway))
    app.state.gateway = gateway
    if gateway.settings.tracing:
        from gateway import tracing

        return tracing.install(app)  # type: ignore[return-value]
    return app


def drain_on_signals(gateway: Gateway) -> None:
    """On SIGTERM or SIGINT, readiness turns 503 at once, then the server's own handler stops
    accepting and lets in-flight requests finish (uvicorn's, installed before the lifespan runs)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous) -> None:
            gateway.begin_drain()
            previous(signum, frame)

        try:
            signal.signal(sig, handler)
        except ValueError:  # not the main thread (an embedding server): nothing to chain
            return
