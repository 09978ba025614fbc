"""Rate limits through the ``limits`` library, on any of its storages.

``memory://`` keeps counters in the process (one worker); ``redis://host:port`` shares
them between every process and host. Dialects declare their policies as data
(``RateLimitPolicy``); this module only counts.

Rolling windows use limits' sliding-window counter: the current window's count plus the
previous window's, weighted by how much of it still overlaps the last N seconds. It costs
two counters per key whatever the traffic; the exact moving window keeps one entry per
request (60,000 for a key doing 1,000 req/s) and its cost grew with them (measured by
``make bench``: -18 % to -26 % on list and detail GETs with a full window).

``memory://`` counts in ``LocalWindows``: the same two algorithms (limits' formulas, and
the same answers: tests/gateway/test_ratelimit.py runs both on one sequence of hits) over a
dict of this process. Through limits' strategies and in-memory storage a hit cost about
30 us on a loaded worker (key strings, a dozen calls, and an expiry sweeper started on the
request path: a thread every 10 ms, or an asyncio task per hit), 10 % of a detail GET.
Shared storages (``redis://``, ...) go through limits' asyncio strategies.

``FailedAuthThrottle`` counts failed authentications per client address on the same storage:
a budget per minute, then the area's own 429 for that address until the window frees one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.types import Scope

from dialects.base import LimitState, RateLimited, RateLimitPolicy, Unavailable

log = logging.getLogger("ticketgate.ratelimit")
# what a failing shared storage raises: RuntimeError too, since coredis writes on a connection
# another request's timeout has just closed and uvloop refuses with it ("the handler is closed")
STORAGE_FAILURES = (StorageError, OSError, TimeoutError, RuntimeError)


def async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


@lru_cache(maxsize=256)
def _item(policy: RateLimitPolicy) -> RateLimitItem:
    return RateLimitItemPerSecond(policy.amount, policy.per_seconds)


SWEEP_EVERY = 60.0  # seconds between sweeps of windows nobody has hit since they ended


class LocalWindows:
    """Fixed windows and sliding-window counters for one process (one event loop: no locks)."""

    def __init__(self) -> None:
        self._fixed: dict[str, list[float]] = {}  # key -> [window end, count]
        # key -> [window number, its count, the previous window's count, window length]
        self._sliding: dict[str, list[int]] = {}
        self._next_sweep = time.time() + SWEEP_EVERY

    def fixed(self, key: str, amount: int, period: int, report: bool) -> LimitState | None:
        """limits' FixedWindowRateLimiter: a window opens at the first hit; refused hits count too."""
        now = self._tick()
        window = self._fixed.get(key)
        if window is None or window[0] <= now:
            window = self._fixed[key] = [now + period, 0]
        window[1] += 1
        allowed = window[1] <= amount
        if allowed and not report:
            return None
        return _state(allowed, amount, amount - int(window[1]), window[0], now)

    def sliding(self, key: str, amount: int, period: int, report: bool) -> LimitState | None:
        """limits' SlidingWindowCounterRateLimiter: the previous window's count, weighted by how much
        of it the last ``period`` seconds still cover, plus the current one's; refused hits do not count."""
        now = self._tick()
        number = int(now / period)
        counts = self._sliding.get(key)
        if counts is None or counts[0] < number - 1:
            counts = self._sliding[key] = [number, 0, 0, period]
        elif counts[0] < number:
            counts[:] = [number, 0, counts[1], period]
        previous_ttl = (1 - ((now - period) / period) % 1) * period if counts[2] else 0.0
        weighted = math.floor(counts[2] * previous_ttl / period + counts[1])
        allowed = weighted + 1 <= amount
        if allowed:
            counts[1] += 1
            weighted = math.floor(counts[2] * previous_ttl / period + counts[1])
            if not report:
                return None
        current_ttl = (1 - (now / period) % 1) * period + period
        resets = [previous_ttl % (period / counts[2])] if counts[2] else []
        if counts[1]:
            resets.append(current_ttl % period)
        return _state(allowed, amount, amount - weighted, now + min(resets, default=0.0), now)

    def _tick(self) -> float:
        now = time.time()
        if now >= self._next_sweep:
            self._sweep(now)
        return now

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_EVERY
        for key in [k for k, window in self._fixed.items() if window[0] <= now]:
            del self._fixed[key]
        for key in [k for k, counts in self._sliding.items() if counts[0] < int(now / counts[3]) - 1]:
            del self._sliding[key]  # its window and the one after are over: nothing left to weigh


def _state(allowed: bool, amount: int, remaining: int, reset_at: float, now: float) -> LimitState:
    return LimitState(allowed, amount, max(0, remaining), max(1, math.ceil(reset_at - now)))


def _timeouts(uri: str, seconds: float) -> dict[str, float]:
    """Socket timeouts for the storage's client (limits hands them to coredis for redis://)."""
    return {"connect_timeout": seconds, "stream_timeout": seconds} if urlsplit(uri).scheme.startswith("redis") else {}


class RateLimiter:
    """Counts hits on the storage. When a shared storage fails or does not answer within
    ``timeout`` seconds, ``on_error`` decides: ``"open"`` serves the request uncounted (one log
    line per ``QUIET_SECONDS``, and ``on_storage_error`` for the metric), ``"closed"`` refuses it
    with ``Unavailable`` (each dialect's 503)."""

    QUIET_SECONDS = 10.0

    def __init__(self, storage_uri: str, *, on_error: str = "open", timeout: float = 0.5,
                 on_storage_error: Callable[[], None] | None = None) -> None:
        # memory:// is a dict in this process: no I/O to wait for, so it is used synchronously
        self.in_process = urlsplit(storage_uri).scheme == "memory"
        self.on_error, self.timeout, self.on_storage_error = on_error, timeout, on_storage_error
        self._quiet_until = 0.0
        if self.in_process:
            self.local = LocalWindows()
        else:
            self.storage = cast(AsyncStorage, storage_from_string(
                async_uri(storage_uri), wrap_exceptions=True, **_timeouts(storage_uri, timeout)))
            self._async = {True: SlidingWindowCounterRateLimiter(self.storage),
                           False: FixedWindowRateLimiter(self.storage)}

    async def hit(self, policy: RateLimitPolicy, key: str, *, report: bool = True) -> LimitState | None:
        if self.in_process:
            count = self.local.sliding if policy.moving else self.local.fixed
            return count(key, policy.amount, policy.per_seconds, report)
        try:
            # bounded here too: a client that ignored its socket timeouts must not hold the request
            async with asyncio.timeout(self.timeout * 2):
                return await self._remote_hit(policy, key, report)
        except STORAGE_FAILURES as exc:
            self._failed(exc)
            return None  # open: served uncounted

    async def _remote_hit(self, policy: RateLimitPolicy, key: str, report: bool) -> LimitState | None:
        item = _item(policy)
        remote = self._async[policy.moving]
        allowed = await remote.hit(item, key)
        if allowed and not report:
            return None
        stats = await remote.get_window_stats(item, key)
        return _state(allowed, policy.amount, stats.remaining, stats.reset_time, time.time())

    def _failed(self, exc: BaseException) -> None:
        if self.on_storage_error is not None:
            self.on_storage_error()
        if self.on_error == "closed":
            raise Unavailable("rate-limit storage", exc)
        now = time.monotonic()
        if now >= self._quiet_until:
            self._quiet_until = now + self.QUIET_SECONDS
            log.warning("rate-limit storage unavailable (%s): serving requests uncounted", type(exc).__name__)

    async def check(self, timeout: float | None = None) -> bool:
        """Whether the storage answers (within ``timeout`` seconds, default the limiter's)."""
        if self.in_process:
            return True
        try:
            async with asyncio.timeout(timeout or self.timeout * 2):
                return bool(await self.storage.check())
        except STORAGE_FAILURES:
            return False


@lru_cache(maxsize=4096)
def client_key(host: str) -> str:
    """What one budget of failures belongs to: an IPv4 address, or an IPv6 address's /64 (one
    host commonly holds a whole /64, and would otherwise get 2**64 budgets)."""
    if ":" not in host:
        return host
    try:
        return str(ipaddress.IPv6Network(f"{host}/64", strict=False).network_address)
    except ValueError:
        return host


def client_of(scope: Scope) -> str:
    """The ASGI client's address (uvicorn has already applied X-Forwarded-For from trusted
    proxies); requests without one (a unix socket, an embedding test) share one budget."""
    client = scope.get("client")
    return client_key(client[0]) if client else "-"


class FailedAuthThrottle:
    """``per_minute`` failed authentications per client address in a rolling minute, counted
    on the limiter's storage (shared between processes on ``redis://``).

    Only failures touch the storage. Once a failure finds the budget spent, this process
    remembers the address until the window frees an attempt, and refuses it before anything is
    looked up: on the success path the check is one test of an (almost always empty) dict.
    Another process learns of the spent budget at that address's next failure there.
    """

    SWEEP_EVERY = 60.0

    def __init__(self, limiter: RateLimiter, per_minute: int) -> None:
        self.limiter = limiter
        self.policy = RateLimitPolicy(per_minute, 60, moving=True)
        self._blocked: dict[str, float] = {}  # client -> when its window frees an attempt
        self._next_sweep = 0.0

    def check(self, scope: Scope) -> None:
        if not self._blocked:
            return
        client = client_of(scope)
        until = self._blocked.get(client)
        if until is None:
            return
        left = until - time.time()
        if left <= 0:
            del self._blocked[client]
            return
        raise RateLimited(LimitState(False, self.policy.amount, 0, max(1, math.ceil(left))))

    async def failed(self, scope: Scope) -> None:
        client = client_of(scope)
        state = await self.limiter.hit(self.policy, f"auth-failures:{client}", report=False)
        if state is None or state.allowed:
            return
        now = time.time()
        if now >= self._next_sweep:  # addresses that stopped trying are not kept for ever
            self._next_sweep = now + self.SWEEP_EVERY
            self._blocked = {c: until for c, until in self._blocked.items() if until > now}
        self._blocked[client] = now + state.reset_after
        raise RateLimited(state)
