"""Rate limits through the ``limits`` library, on any of its storages.

``memory://`` keeps counters in the process (one worker); ``redis://host:port`` shares
them between every process and host. Dialects declare their policies as data
(``RateLimitPolicy``); this module only counts.

Rolling windows use limits' sliding-window counter: the current window's count plus the
previous window's, weighted by how much of it still overlaps the last N seconds. It costs
two counters per key whatever the traffic; the exact moving window keeps one entry per
request (60,000 for a key doing 1,000 req/s) and its cost grew with them (measured by
``make bench``: -18 % to -26 % on list and detail GETs with a full window).
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from dialects.base import LimitState, RateLimitPolicy


def async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


@lru_cache(maxsize=256)
def _item(policy: RateLimitPolicy) -> RateLimitItem:
    return RateLimitItemPerSecond(policy.amount, policy.per_seconds)


class RateLimiter:
    def __init__(self, storage_uri: str) -> None:
        self.storage = cast(AsyncStorage, storage_from_string(async_uri(storage_uri)))
        self._rolling = SlidingWindowCounterRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)

    async def hit(self, policy: RateLimitPolicy, key: str) -> LimitState:
        strategy = self._rolling if policy.moving else self._fixed
        item = _item(policy)
        allowed = await strategy.hit(item, key)
        stats = await strategy.get_window_stats(item, key)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return LimitState(allowed, policy.amount, max(0, stats.remaining), reset_after)

    async def check(self) -> bool:
        return bool(await self.storage.check())
