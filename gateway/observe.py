"""The outermost layer: a request id, metrics and one access log line for every request.

Written once for every dialect, the operator API and the health checks. The route template
comes from the route Starlette matched (``scope["route"]``: the innermost one, since mounts
extend the same scope), the dialect from the app that took it (``AREA_KEY``), the box office and key
from the principal the pipeline authenticated (``PRINCIPAL_KEY``).

Request ids (``dialects.requestids``): the client's ``X-Request-Id`` when it is a sane token,
else a new ``req_`` id; in the scope before any dialect runs (Equaticket quotes it in its error
bodies) and on every response.
"""

from __future__ import annotations

import logging
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dialects.base import AREA_KEY, PRINCIPAL_KEY
from dialects.requestids import HEADER, REQUEST_ID_KEY, RequestIds
from gateway.logs import ACCESS, REQUEST_ID
from gateway.metrics import UNMATCHED, Metrics, RouteMetrics

access_log = logging.getLogger(ACCESS)
log = logging.getLogger("ticketgate")
FAILED = (b'{"error":{"code":"internal_error","message":"Unexpected server error"}}',
          [(b"content-type", b"application/json")])


class Observe:
    """Pure ASGI, so it also sees responses routers make (404s, 405s) and streaming ones."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None, ids: RequestIds | None = None, *,
                 tracing: bool = False) -> None:
        self.app, self.metrics = app, metrics
        self.ids = ids or RequestIds()
        self.tracing = tracing
        # bound children per (matched route, area, method): labels are worked out once. Routes
        # compare by value and are unhashable; their ids are stable (they live as long as the app)
        self._routes: dict[tuple[int, str, str], RouteMetrics] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = scope[REQUEST_ID_KEY] = self.ids.of(scope)
        header = (HEADER, rid.encode("latin-1"))
        status = 0  # until the app starts a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]  # no layer below sets it
                if self.tracing:  # now: the tracing layer ends the request's span with the body
                    _annotate(scope)
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # what no error table caught (health, metrics, pages): one record with the id and the
            # traceback, and a 500 the client can quote, instead of the server's anonymous one
            log.exception("unhandled error on %s %s", scope["method"], _labels(scope)[1])
            if status:
                raise  # a response was under way: the server can only cut the connection
            status = 500
            await send_with_id({"type": "http.response.start", "status": 500, "headers": list(FAILED[1])})
            await send_with_id({"type": "http.response.body", "body": FAILED[0]})
        finally:
            REQUEST_ID.reset(token)
            self._done(scope, status or 500, time.perf_counter() - started, rid)

    def _done(self, scope: Scope, status: int, seconds: float, rid: str) -> None:
        if self.metrics is not None:
            self._route(scope).observe(status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            dialect, route = _labels(scope)
            principal = scope.get(PRINCIPAL_KEY)
            access_log.info("request", extra={
                "request_id": rid, "dialect": dialect, "route": route, "method": scope["method"],
                "status": status, "duration_ms": round(seconds * 1000, 3),
                "box_office_id": getattr(principal, "box_office_id", None),
                "key_id": getattr(principal, "key_id", None)})

    def _route(self, scope: Scope) -> RouteMetrics:
        key = (id(scope.get("route")), scope.get(AREA_KEY, "gateway"), scope["method"])
        bound = self._routes.get(key)
        if bound is None:
            assert self.metrics is not None
            bound = self._routes[key] = self.metrics.route(*_labels(scope), scope["method"])
        return bound


def _annotate(scope: Scope) -> None:
    from gateway import tracing

    tracing.annotate(scope, *_labels(scope))


def _labels(scope: Scope) -> tuple[str, str]:
    """(dialect, route template) of a request; ``unmatched`` when no route took it."""
    route = scope.get("route")
    dialect = scope.get(AREA_KEY, "gateway")
    if route is None or isinstance(route, Mount):
        return dialect, UNMATCHED
    return dialect, getattr(route, "path", UNMATCHED)
