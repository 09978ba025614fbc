"""The contract every dialect fulfils, and the request pipeline they share.

A dialect is a class of tables and four small methods:

- ``routes``: its route table, one ``Route(method, path, handler, scope)`` per operation; every
  handler has one signature, ``async (dialect, request, principal) -> Response``;
- ``errors``: its error table, ``{exception class: Rule(status, code, ...)}``, looked up along
  the exception's MRO, and ``format_error``, the one function that writes the vendor's body;
- ``keys``: its key rules (scopes, secret shape, limits), which core applies when creating keys;
- ``credential(request)``: the secret from the vendor's header; ``rate_limit(principal)``: a
  ``RateLimitPolicy``, with ``limit_headers(state)`` for dialects that report their limits on
  every response (``reports_limits``).

The pipeline is written once, here: authenticate, count against the rate limit, check scopes,
run the handler, add the limit headers; every exception on the way, including an unexpected
one, leaves as the dialect's own error format. Dialects never import each other; they import
``core`` and the ``dialects`` modules shared by all (this one, ``schema``, ``spec``).
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import asyncpg
import orjson
from starlette._utils import get_route_path
from starlette.convertors import Convertor, PathConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from core.checkout import Checkout
from core.clock import Clock
from core.keys import KeyRules, KeyStore, Principal
from core.subscriptions import Guard
from dialects.deadlines import Deadlines
from dialects.refusals import (  # re-exported (__all__): the contract a dialect implements names them
    DATABASE_DOWN,
    AuthFailed,
    AuthThrottle,
    BadRequest,
    BodyTimeout,
    BodyTooLarge,
    ClientGone,
    DialectError,
    ErrorTable,
    Limiter,
    LimitState,
    MethodNotAllowed,
    NotJSON,
    RateLimited,
    RateLimitPolicy,
    RouteNotFound,
    Rule,
    ScopeMissing,
    Unavailable,
    as_outage,
    retry_after,
    rule_for,
    unavailable,
)

__all__ = [
    "DialectError",
    "AuthFailed",
    "ScopeMissing",
    "RateLimited",
    "RouteNotFound",
    "MethodNotAllowed",
    "Unavailable",
    "DATABASE_DOWN",
    "unavailable",
    "as_outage",
    "BadRequest",
    "BodyTooLarge",
    "BodyTimeout",
    "ClientGone",
    "NotJSON",
    "RateLimitPolicy",
    "LimitState",
    "Limiter",
    "AuthThrottle",
    "retry_after",
    "Rule",
    "ErrorTable",
    "rule_for",
    "PRINCIPAL_KEY",
    "AREA_KEY",
    "PipelineStats",
    "Services",
    "json_response",
    "json_declared",
    "read_json",
    "Handler",
    "Route",
    "Dialect",
    "Endpoint",
    "PublicEndpoint",
    "ByMethod",
    "Path",
    "Paths",
    "DialectApp",
]

log = logging.getLogger("ticketgate.dialects")


# --- what the gateway hands each dialect ------------------------------------------------------

PRINCIPAL_KEY = "ticketgate.principal"  # scope key: who the request authenticated as (for the access log)
AREA_KEY = "ticketgate.area"  # scope key: the dialect (or "admin") whose app took the request


class PipelineStats(Protocol):
    """Told of what the pipeline refuses and replays (the gateway's metrics)."""

    def refused(self, dialect: str, exc: BaseException) -> None: ...

    def replayed(self, dialect: str) -> None: ...


@dataclass
class Services:
    pool: asyncpg.Pool
    keys: KeyStore
    limiter: Limiter | None  # None when rate limits are off
    clock: Clock
    checkout: Checkout
    cursor_secret: str
    webhooks: Guard  # what webhook subscriptions are held to (URL addresses, sealed secrets)
    public_base_url: str
    development: bool = False
    stats: PipelineStats | None = None  # None when metrics are off
    timeout: float | None = None  # seconds a request may take in all (its database waits): then 503
    auth_throttle: AuthThrottle | None = None  # None when failed authentications are not throttled


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def json_declared(content_type: str) -> bool:
    """Whether a Content-Type allows reading the body as JSON: none (curl, scripts), or
    ``application/json`` (or a ``+json`` type) in UTF-8, the only charset JSON has (RFC 8259)."""
    if not content_type:
        return True
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        return False
    charset = next((v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params.split(";"))
                    if k.strip().lower() == "charset"), "utf-8")
    return charset in ("utf-8", "utf8")


async def read_json(request: Request) -> Any:
    """The request body as JSON, or BadRequest (NotJSON when it is declared as something else)."""
    if not json_declared(request.headers.get("content-type", "")):
        raise NotJSON()
    body = await request.body()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("Invalid JSON body") from None


# --- the route table and the error table ------------------------------------------------------

Handler = Callable[[Any, Request, Any], Awaitable[Response]]
"""Every handler: ``async def name(d: TheDialect, request: Request, p: Principal) -> Response``
(``p`` is None on a public route)."""


@dataclass(frozen=True, slots=True)
class Route:
    """One row of a dialect's route table: reading the table tells the dialect's whole surface."""

    method: str
    path: str
    handler: Handler
    scope: str | None  # the key scope the route needs; None: public, no key is read

    @property
    def public(self) -> bool:
        return self.scope is None


class Dialect(ABC):
    """A vendor's API: its tables (routes, errors, key rules) and four small methods."""

    name: ClassVar[str]
    routes: ClassVar[Sequence[Route]]  # the route table
    errors: ClassVar[ErrorTable]  # exception class -> Rule, looked up along the MRO
    keys: ClassVar[KeyRules]  # scopes, secret shape and limits of the vendor's keys
    reports_limits: ClassVar[bool] = False  # limit headers on every response (limit_headers)
    # an unknown path asks for credentials first (401 without a valid key, then 404), as the
    # vendor answers: its routing sits behind its authentication
    authenticates_unknown_paths: ClassVar[bool] = False

    def __init__(self, services: Services, settings: Any) -> None:
        self.services = services
        self.settings = settings
        self.deadlines = Deadlines(services.timeout)  # each request's, on one shared timer

    # --- what each dialect provides ---

    @abstractmethod
    def credential(self, request: Request) -> str:
        """The secret the request presents (from the vendor's header), or AuthFailed."""

    @abstractmethod
    def rate_limit(self, principal: Principal) -> RateLimitPolicy: ...

    @abstractmethod
    def format_error(self, request: Request, exc: BaseException, rule: Rule) -> Response:
        """The one function that writes the vendor's error body for ``rule``."""

    def limit_headers(self, state: LimitState) -> dict[str, str]:
        return {}

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wrap the dialect's app (CORS, request ids); the default adds nothing."""
        return app

    def wrap(self, route: Route, handler: Handler) -> Handler:
        """A handler with the dialect's per-route behaviour around it (Equaticket: idempotent POSTs)."""
        return handler

    # --- the shared pipeline ---

    async def authenticate(self, request: Request) -> Principal:
        # A client that spent its budget of failures is refused before any key is looked up, a
        # valid key too: a 200 among the 429s would still tell a guesser which guess was right.
        throttle = self.services.auth_throttle
        if throttle is not None:
            throttle.check(request.scope)
        try:
            principal = await self.services.keys.authenticate(self.credential(request), self.name)
            if principal is None:
                raise AuthFailed("Invalid API key")
        except AuthFailed:
            if throttle is not None:
                await throttle.failed(request.scope)  # RateLimited once this spends the budget
            raise
        return principal

    def error_response(self, request: Request, exc: BaseException) -> Response:
        exc = as_outage(request, exc)
        rule = rule_for(self.errors, exc)
        if rule.unexpected:
            log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return self.format_error(request, exc, rule)

    async def _count(self, principal: Principal) -> LimitState | None:
        limiter = self.services.limiter
        if limiter is None:
            return None
        state = await limiter.hit(self.rate_limit(principal), f"{self.name}:{principal.key_id}",
                                  report=self.reports_limits)
        if state is not None and not state.allowed:
            raise RateLimited(state)
        return state

    def endpoint(self, route: Route) -> ASGIApp:
        handler = self.wrap(route, route.handler)
        if route.public:
            return PublicEndpoint(self, handler)
        return Endpoint(self, handler, (route.scope,) if route.scope else ())

    def app(self) -> ASGIApp:
        """The dialect as one ASGI app; unknown paths and methods answer in its format too.

        One path entry per path, whatever the methods on it (``ByMethod``): with one entry per
        row, a path served by GET and POST answered a wrong method with the Allow of one of them."""
        paths: dict[str, dict[str, ASGIApp]] = {}
        for r in self.routes:
            paths.setdefault(r.path, {})[r.method] = self.endpoint(r)
        # no slash redirects: /events/..%2F answered an undocumented 307; every unknown path is the
        # dialect's own 404
        return self.middleware(DialectApp(self, Paths([Path(path, ByMethod(self, methods))
                                                       for path, methods in paths.items()])))


# --- the pipeline as ASGI apps ----------------------------------------------------------------
# Raw ASGI rather than Starlette's request_response and a Starlette app per dialect: every
# failure is already turned into the dialect's response here, so the per-route and per-app
# exception layers had nothing left to do but cost (measured by `make bench` on detail GETs).

class Endpoint:
    """Authenticate, count against the rate limit, check scopes, run the handler, add limit headers."""

    __slots__ = ("dialect", "handler", "scopes", "__name__")

    def __init__(self, dialect: Dialect, handler: Handler, scopes: tuple[str, ...]) -> None:
        self.dialect, self.handler, self.scopes = dialect, handler, scopes
        self.__name__ = getattr(handler, "__name__", "endpoint")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dialect = self.dialect
        request = Request(scope, receive)
        state: LimitState | None = None
        try:
            # one deadline for the whole request: a frozen database (or limiter) cannot hold it
            with dialect.deadlines():
                principal = scope[PRINCIPAL_KEY] = await dialect.authenticate(request)
                state = await dialect._count(principal)
                missing = principal.missing(*self.scopes)
                if missing:
                    raise ScopeMissing(missing)
                response = await self.handler(dialect, request, principal)
        except Exception as exc:  # every failure leaves in the vendor's format
            if dialect.services.stats is not None:
                dialect.services.stats.refused(dialect.name, exc)
            response = dialect.error_response(request, exc)
        if state is not None:  # appended as they are: no handler sets these itself
            response.raw_headers.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in dialect.limit_headers(state).items()
            )
        await response(scope, receive, send)


class PublicEndpoint:
    __slots__ = ("dialect", "handler", "__name__")

    def __init__(self, dialect: Dialect, handler: Handler) -> None:
        self.dialect, self.handler = dialect, handler
        self.__name__ = getattr(handler, "__name__", "endpoint")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            with self.dialect.deadlines():
                response = await self.handler(self.dialect, request, None)
        except Exception as exc:
            response = self.dialect.error_response(request, exc)
        await response(scope, receive, send)


class ByMethod:
    """The endpoints of one path by method (HEAD answered as GET); any other method is the
    dialect's 405, whose Allow lists every method of the path."""

    __slots__ = ("dialect", "methods", "allow")

    def __init__(self, dialect: Dialect, methods: dict[str, ASGIApp]) -> None:
        self.dialect, self.methods = dialect, dict(methods)
        if "GET" in methods and "HEAD" not in methods:
            self.methods["HEAD"] = methods["GET"]
        self.allow = ", ".join(sorted(self.methods))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.methods.get(scope["method"])
        if endpoint is None:
            failure = MethodNotAllowed(self.allow)
            await self.dialect.error_response(Request(scope, receive), failure)(scope, receive, send)
            return
        await endpoint(scope, receive, send)


@dataclass(frozen=True, slots=True, eq=False)
class Path:
    """One path of the table, compiled by Starlette's ``compile_path`` (its parameters and their
    convertors, as a Starlette route has them); the access log and metrics label requests by
    ``path``, the template."""

    path: str
    app: ASGIApp
    regex: re.Pattern[str] = field(init=False)
    convertors: dict[str, Convertor[Any]] = field(init=False)

    def __post_init__(self) -> None:
        regex, _, convertors = compile_path(self.path)
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "convertors", convertors)

    @property
    def segments(self) -> int | None:
        """How many ``/`` a path it matches has; None when a parameter may span several."""
        return None if any(isinstance(c, PathConvertor) for c in self.convertors.values()) else self.path.count("/")


class Paths:
    """A dialect's paths as a lookup, answering as Starlette's router did (the first path of the
    table whose pattern matches takes the request) for less: the literal paths are one dict
    lookup, the others are tried only among those of the request's number of segments. The
    router tried every row's regular expression in turn and built a child scope for each."""

    __slots__ = ("literal", "patterned", "spanning")

    def __init__(self, table: Sequence[Path]) -> None:
        self.literal: dict[str, Path] = {}
        self.patterned: dict[int, list[Path]] = {}
        self.spanning: list[Path] = []  # paths with a parameter over several segments: tried for every count
        earlier: list[Path] = []
        for entry in table:
            shadowed = any(e.regex.match(entry.path) for e in earlier)  # an earlier pattern takes it first
            if not entry.convertors and not shadowed:
                self.literal.setdefault(entry.path, entry)
                continue
            earlier.append(entry)
            count = entry.segments
            if count is None:
                self.spanning.append(entry)
                for rows in self.patterned.values():
                    rows.append(entry)
            else:
                self.patterned.setdefault(count, list(self.spanning)).append(entry)

    def match(self, path: str) -> tuple[Path, dict[str, Any]] | None:
        """The path of the table taking ``path``, with its parameters converted; or None."""
        entry = self.literal.get(path)
        if entry is not None:
            return entry, {}
        for entry in self.patterned.get(path.count("/"), self.spanning):
            found = entry.regex.match(path)
            if found is not None:
                return entry, {k: entry.convertors[k].convert(v) for k, v in found.groupdict().items()}
        return None


class DialectApp:
    """The dialect's paths; a path or method it does not serve answers in the dialect's format."""

    __slots__ = ("dialect", "paths")

    def __init__(self, dialect: Dialect, paths: Paths) -> None:
        self.dialect, self.paths = dialect, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a lifespan when the dialect is served alone: nothing to start
            if scope["type"] == "lifespan":
                await _lifespan(receive, send)
            return
        scope[AREA_KEY] = self.dialect.name
        found = self.paths.match(get_route_path(scope))
        if found is None:
            await self._not_found(scope, receive, send)
            return
        entry, params = found
        scope["route"] = entry
        scope["path_params"] = {**scope["path_params"], **params} if scope.get("path_params") else params
        await entry.app(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        failure: BaseException = RouteNotFound()
        if self.dialect.authenticates_unknown_paths:
            try:
                scope[PRINCIPAL_KEY] = await self.dialect.authenticate(request)
            except Exception as exc:  # AuthFailed, a throttled client, an outage: in the dialect's format
                failure = exc
        await self.dialect.error_response(request, failure)(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
