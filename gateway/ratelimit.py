"""Rate limits through the ``limits`` library, on any of its storages.

``memory://`` keeps counters in the process (one worker); ``redis://host:port`` shares
them between every process and host. Dialects declare their policies as data
(``RateLimitPolicy``); this module only counts.

Rolling windows use limits' sliding-window counter: the current window's count plus the
previous window's, weighted by how much of it still overlaps the last N seconds. It costs
two counters per key whatever the traffic; the exact moving window keeps one entry per
request (60,000 for a key doing 1,000 req/s) and its cost grew with them (measured by
``make bench``: -18 % to -26 % on list and detail GETs with a full window).

``memory://`` uses ``InProcessStorage``: limits' in-memory storage and its algorithms, with
expired counters swept inline every few seconds. limits starts that sweep on the request
path instead (a thread every 10 ms in its synchronous storage, a task per hit in its asyncio
one), which cost 20-30 % of a detail GET under load (measured: limits on vs off).
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import cast
from urllib.parse import urlsplit

import limits.strategies
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import MemoryStorage, storage_from_string

from dialects.base import LimitState, RateLimitPolicy


def async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


@lru_cache(maxsize=256)
def _item(policy: RateLimitPolicy) -> RateLimitItem:
    return RateLimitItemPerSecond(policy.amount, policy.per_seconds)


SWEEP_EVERY = 5.0  # seconds between sweeps of expired counters (they are also dropped when read)


class InProcessStorage(MemoryStorage):
    """limits' in-memory storage, used from one event loop, sweeping expired counters inline."""

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = time.time() + SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self._count(key, amount, expiry)
        return self.storage.get(key, 0)

    def decr(self, key: str, amount: int = 1) -> int:
        self._count(key, -amount, None)
        return self.storage.get(key, 0)

    def _count(self, key: str, amount: int, expiry: float | None) -> None:
        now = time.time()
        if now >= self._next_sweep:
            self._sweep(now)
        self.get(key)  # drops the counter when it has expired
        value = max(self.storage[key] + amount, 0)
        self.storage[key] = value
        if expiry is not None and value == amount:  # a new counter starts its window
            self.expirations[key] = now + expiry

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_EVERY
        for key in [k for k, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        # memory:// is a dict in this process: no I/O to wait for, so it is used synchronously
        self.in_process = urlsplit(storage_uri).scheme == "memory"
        if self.in_process:
            storage = InProcessStorage()
            self._sync = {True: limits.strategies.SlidingWindowCounterRateLimiter(storage),
                          False: limits.strategies.FixedWindowRateLimiter(storage)}
        else:
            self.storage = cast(AsyncStorage, storage_from_string(async_uri(storage_uri)))
            self._async = {True: SlidingWindowCounterRateLimiter(self.storage),
                           False: FixedWindowRateLimiter(self.storage)}

    async def hit(self, policy: RateLimitPolicy, key: str) -> LimitState:
        item = _item(policy)
        if self.in_process:
            strategy = self._sync[policy.moving]
            allowed = strategy.hit(item, key)
            stats = strategy.get_window_stats(item, key)
        else:
            remote = self._async[policy.moving]
            allowed = await remote.hit(item, key)
            stats = await remote.get_window_stats(item, key)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return LimitState(allowed, policy.amount, max(0, stats.remaining), reset_after)

    async def check(self) -> bool:
        return True if self.in_process else bool(await self.storage.check())
