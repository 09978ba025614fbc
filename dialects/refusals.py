"""What the pipeline refuses and how a refusal becomes a response: the ``DialectError`` tree
(authentication, scopes, limits, routing, outages, malformed requests), the rate-limit types,
and the error table's ``Rule`` with its MRO lookup. ``dialects.base`` re-exports all of it, so a
dialect reads ``base.RateLimited`` and ``base.Rule`` from the contract it implements."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from starlette.requests import Request
from starlette.types import Scope

log = logging.getLogger("ticketgate.dialects")


# --- errors raised by the pipeline (not domain errors: those are core.errors) ---------------

class DialectError(Exception):
    """An HTTP-level refusal that is not a domain rule (auth, scope, limits, malformed request)."""


class AuthFailed(DialectError):
    pass


class ScopeMissing(DialectError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


class RateLimited(DialectError):
    def __init__(self, state: LimitState) -> None:
        super().__init__("rate limited")
        self.state = state


class RouteNotFound(DialectError):
    """No route of the dialect matches the path."""

    def __init__(self) -> None:
        super().__init__("Not found")


class MethodNotAllowed(DialectError):
    """The path is served, not with this method; ``allow`` lists the methods that are."""

    def __init__(self, allow: str) -> None:
        super().__init__("Method not allowed")
        self.allow = allow


class Unavailable(DialectError):
    """A dependency (the database, the rate-limit storage) cannot answer now: every dialect's
    503 with ``Retry-After``, logged as one line (an outage, not a bug: no traceback)."""

    def __init__(self, what: str, cause: BaseException | None = None, retry_after: int = 2) -> None:
        super().__init__(f"The {what} is unavailable; retry in {retry_after} s")
        self.message, self.what, self.cause, self.retry_after = str(self), what, cause, retry_after


# What the database's unavailability looks like from asyncpg: refused or lost connections, a
# server shutting down or starting, a pool with no free connection in time, a statement the
# server cancelled (statement_timeout) or the client gave up on (command_timeout).
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.ConnectionDoesNotExistError, asyncpg.CannotConnectNowError,
    asyncpg.OperatorInterventionError, asyncpg.TooManyConnectionsError, asyncpg.QueryCanceledError,
    # a pooled connection the server closed while it was idle (pg_ctl stop -m fast) fails its next
    # query with "cannot switch to state 12; another operation (2) is in progress"
    asyncpg.InternalClientError,
)


def unavailable(exc: BaseException) -> Unavailable | None:
    """The outage behind ``exc``, or None when it is not one."""
    if isinstance(exc, Unavailable):
        return exc
    if isinstance(exc, DATABASE_DOWN):
        return Unavailable("database", exc)
    return None


def as_outage(request: Request, exc: BaseException) -> BaseException:
    """``exc``, or the outage behind it, logged as one line (what failed, never a traceback)."""
    outage = unavailable(exc)
    if outage is None:
        return exc
    log.warning("%s on %s %s: %s", outage.message, request.method, request.url.path,
                type(outage.cause or outage).__name__)
    return outage


class BadRequest(DialectError):
    """Malformed request: bad JSON, bad query parameter, bad cursor."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BodyTooLarge(BadRequest):
    """The body is over the gateway's limit (``max_body_bytes``): refused before the rest is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is too large (at most {limit} bytes)")
        self.limit = limit


class BodyTimeout(BadRequest):
    """The client stopped sending its body for longer than ``body_timeout``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body did not arrive within {seconds:g} s")


class ClientGone(BadRequest):
    """The client disconnected before its body was complete: nobody reads the answer."""

    def __init__(self) -> None:
        super().__init__("The client disconnected before sending the whole body")


class NotJSON(BadRequest):
    """A body declared as something other than UTF-8 JSON (``text/plain``, ``charset=latin-1``)."""

    def __init__(self) -> None:
        super().__init__("Content-Type must be application/json (UTF-8)")


# --- rate limits ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    amount: int
    per_seconds: int
    moving: bool  # rolling window (True) or fixed window aligned on its period (False)


@dataclass(frozen=True, slots=True)
class LimitState:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # whole seconds until the window frees a request (fixed: until it resets)


class Limiter(Protocol):
    async def hit(self, policy: RateLimitPolicy, key: str, *, report: bool) -> LimitState | None:
        """Count one request. The window's state is worked out only when it is to be reported
        or the request is refused (a second storage read); otherwise None."""


class AuthThrottle(Protocol):
    """Failed authentications per client address (gateway.ratelimit.FailedAuthThrottle).

    ``check`` runs before every key lookup, so it stays a dict lookup in the process;
    ``failed`` runs only once a lookup failed, and may touch the shared storage."""

    def check(self, scope: Scope) -> None:
        """Raise RateLimited when the request's client has spent its budget of failures."""

    async def failed(self, scope: Scope) -> None:
        """Count one failure of the request's client; RateLimited when it spent the budget."""


def retry_after(exc: Any) -> dict[str, str]:
    """``Retry-After`` from an exception that knows how long to wait (``retry_after`` seconds)."""
    return {"Retry-After": str(exc.retry_after)}


@dataclass(frozen=True, slots=True)
class Rule:
    """What one exception class becomes on the wire; a dialect's ``format_error`` renders it."""

    status: int
    code: str = ""  # the vendor's error code or name for it
    message: str | Callable[[Any], str] | None = None  # None: the exception's own message
    extra: Callable[[Any], dict[str, Any]] | None = None  # vendor-specific members of the body
    headers: Callable[[Any], dict[str, str]] | None = None
    unexpected: bool = False  # logged with its traceback (a bug, not a refusal)

    def text(self, exc: BaseException) -> str:
        if callable(self.message):
            return self.message(exc)
        if self.message is not None:
            return self.message
        return str(getattr(exc, "message", "") or exc)


ErrorTable = Mapping[type[BaseException], Rule]


def rule_for(table: ErrorTable, exc: BaseException) -> Rule:
    """The rule of the nearest class in ``exc``'s MRO (Starlette's exception-handler lookup)."""
    for cls in type(exc).__mro__:
        rule = table.get(cls)
        if rule is not None:
            return rule
    raise LookupError(f"no error rule for {type(exc).__name__}: the table needs an Exception row")
