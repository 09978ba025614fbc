"""The gateway's own front router: each dialect's mount prefix looked up by a string comparison.

Starlette's app put two exception layers and its router in front of every request, and its
router tried each mount's regular expression and built a child scope for it before the dialect
saw the request: about 11 us of a detail GET's 260 (in process, 2026-12-04). The mounts are the
hot paths, so ``Prefixes`` takes them first, with the child scope Starlette's ``Mount`` gives
(``root_path`` extended by the prefix, the mount as ``route``); every other request (health,
metrics, admin, pages, vendor host names, a prefix without its slash) goes to the Starlette
router behind it, exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send


class Prefixes:
    """The mounts by prefix, in route order; what none takes goes to ``fallback``."""

    __slots__ = ("fallback", "mounts")

    def __init__(self, fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.mounts: tuple[tuple[str, Mount], ...] = ()

    def take(self, routes: Sequence[BaseRoute]) -> None:
        """The mounts among ``routes`` (the router's whole table, in order), with their prefixes."""
        self.mounts = tuple((route.path + "/", route) for route in routes if isinstance(route, Mount))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path = get_route_path(scope) if root else scope["path"]
            for prefix, mount in self.mounts:
                if path.startswith(prefix):  # as Mount's ``^{prefix}/(?P<path>.*)$`` (DOTALL)
                    scope["route"] = mount
                    scope["app_root_path"] = scope.get("app_root_path", root)
                    scope["root_path"] = root + prefix[:-1]
                    scope["endpoint"] = mount.app
                    if "path_params" not in scope:
                        scope["path_params"] = {}
                    await mount.app(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


class GatewayApp(Starlette):
    """Starlette (lifespan, state, the router for everything but the mounts) with ``Prefixes`` in
    front of its router, inside the gateway's own layers (``gateway.app.middleware``).

    Starlette's outermost ``ServerErrorMiddleware`` is left out: ``gateway.observe.Observe`` is the
    outermost layer, and answers what nothing else caught with a 500 the client can quote."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.prefixes = Prefixes(ExceptionMiddleware(self.router))

    def serve(self, routes: Sequence[BaseRoute]) -> None:
        """Add ``routes`` to the router; their mounts are looked up by prefix from now on."""
        self.router.routes.extend(routes)
        self.prefixes.take(self.router.routes)

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = self.prefixes
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app
