"""The app factory: health checks, the operator API and every enabled dialect.

Routing order, written once here: each dialect's mount prefix first (the hot paths: every
route tried before the match costs a regular expression), then health and admin paths, then
each dialect's host names (vendor bare paths, for requests that match nothing else).
Prefixes cannot take the health or admin paths (dialects.settings refuses them).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Host, Mount, Route

from dialects import registry
from dialects.base import Dialect, json_response
from gateway.admin import admin_app
from gateway.config import Settings, load_settings
from gateway.runtime import Gateway

log = logging.getLogger("ticketgate")

def health_routes(gateway: Gateway) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if await gateway.ready():
            return json_response({"status": "ready", "database": "ok"})
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]


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
        mounts.append(Mount(settings.prefix, app=app))
    return mounts, hosts


def gateway_routes(gateway: Gateway, classes: Mapping[str, type[Dialect]] | None = None) -> list[BaseRoute]:
    mounts, hosts = dialect_routes(gateway, classes)
    routes = [*mounts, *health_routes(gateway)]
    if gateway.settings.admin_token:
        routes.append(Mount("/admin/v1", app=admin_app(gateway)))
    return routes + hosts


def build_app(gateway: Gateway, classes: Mapping[str, type[Dialect]] | None = None) -> Starlette:
    """The whole app over an already started gateway (tests, embedding).

    ``classes`` replaces the dialect implementations (the contract tests use a fake one).
    """
    app = Starlette(routes=gateway_routes(gateway, classes))
    app.state.gateway = gateway
    return app


def create_app(settings: Settings | None = None) -> Starlette:
    """The app for a server: the gateway starts in the lifespan, then routes are mounted."""
    gateway = Gateway(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        app.router.routes.extend(gateway_routes(gateway))
        # everything built so far lives as long as the process: out of the collector's sight,
        # full collections only walk what requests allocate (they paused the worker for ms)
        gc.freeze()
        try:
            yield
        finally:
            await gateway.stop()

    app = Starlette(lifespan=lifespan)
    app.state.gateway = gateway
    return app
