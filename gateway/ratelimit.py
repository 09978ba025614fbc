"""Rate limits through the ``limits`` library, on any of its storages.

``memory://`` keeps counters in the process (one worker); ``redis://host:port`` shares
them between every process and host. Dialects declare their policies as data
(``RateLimitPolicy``); this module only counts.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
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
        self._moving = MovingWindowRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)

    async def hit(self, policy: RateLimitPolicy, key: str) -> LimitState:
        strategy = self._moving if policy.moving else self._fixed
        item = _item(policy)
        allowed = await strategy.hit(item, key)
        stats = await strategy.get_window_stats(item, key)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return LimitState(allowed, policy.amount, max(0, stats.remaining), reset_after)

    async def check(self) -> bool:
        return bool(await self.storage.check())
