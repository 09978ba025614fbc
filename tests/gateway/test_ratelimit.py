"""The limiter on both storages: in-process memory, and Redis shared by many processes."""

from __future__ import annotations

import math
import os
import uuid

import pytest

from dialects.base import RateLimitPolicy
from gateway.ratelimit import RateLimiter

# Redis only where TEST_REDIS_URL names one (CI sets it): a developer's machine may run a Redis
# of its own on the default port that these tests have no business writing to
REDIS = os.environ.get("TEST_REDIS_URL", "")
STORAGES = ["memory://", REDIS or "redis://"]


async def _redis_up(uri: str) -> bool:
    try:
        return await RateLimiter(uri).check()
    except Exception:
        return False


async def _limiter(uri: str) -> RateLimiter:
    """A limiter on the storage; Redis may be missing on a developer's machine, never in CI."""
    if uri.startswith("redis"):
        if not REDIS:
            if os.environ.get("CI"):
                pytest.fail("CI must set TEST_REDIS_URL: nothing that needs Redis may be skipped")
            pytest.skip("TEST_REDIS_URL is not set: the Redis storage is tested where it names a server")
        if not await _redis_up(uri):
            if os.environ.get("CI"):
                pytest.fail(f"Redis must be reachable in CI ({uri})")
            pytest.skip(f"no Redis at TEST_REDIS_URL ({uri})")
    return RateLimiter(uri)


@pytest.mark.parametrize("uri", STORAGES)
@pytest.mark.parametrize("moving", [True, False])
async def test_counts_remaining_and_refuses_past_the_limit(uri, moving):
    limiter = await _limiter(uri)
    policy = RateLimitPolicy(3, 60, moving=moving)
    key = f"test:{uuid.uuid4().hex}"
    states = [await limiter.hit(policy, key) for _ in range(4)]
    assert [s.allowed for s in states] == [True, True, True, False]
    assert [s.remaining for s in states] == [2, 1, 0, 0]
    assert all(1 <= s.reset_after <= 60 for s in states)
    assert (await limiter.hit(policy, f"{key}:other")).allowed


@pytest.mark.parametrize("uri", STORAGES)
async def test_the_window_is_read_only_when_reported_or_refused(uri):
    limiter = await _limiter(uri)
    policy = RateLimitPolicy(2, 60, moving=True)
    key = f"test:{uuid.uuid4().hex}"
    assert [await limiter.hit(policy, key, report=False) for _ in range(2)] == [None, None]
    refused = await limiter.hit(policy, key, report=False)
    assert refused is not None and not refused.allowed and refused.remaining == 0


async def test_two_limiters_on_redis_share_one_budget():
    uri = STORAGES[1]
    first, second = await _limiter(uri), RateLimiter(uri)
    policy = RateLimitPolicy(2, 60, moving=True)
    key = f"test:{uuid.uuid4().hex}"
    assert (await first.hit(policy, key)).allowed
    assert (await second.hit(policy, key)).allowed
    assert not (await first.hit(policy, key)).allowed


@pytest.mark.parametrize("moving", [True, False])
def test_in_process_windows_answer_like_limits(monkeypatch, moving):
    """LocalWindows replaces limits' in-memory storage for speed: same hits, same answers."""
    import random

    from limits import RateLimitItemPerSecond, strategies
    from limits.storage import MemoryStorage

    from gateway import ratelimit

    clock = [1_700_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])  # limits reads the same module
    strategy = (strategies.SlidingWindowCounterRateLimiter if moving else strategies.FixedWindowRateLimiter)(
        MemoryStorage())
    item, local = RateLimitItemPerSecond(5, 10), ratelimit.LocalWindows()
    rng, outcomes = random.Random(7), set()
    for _ in range(400):
        clock[0] += rng.choice((0.0, 0.3, 1.7, 4.1, 12.5))
        allowed = strategy.hit(item, "k")
        stats = strategy.get_window_stats(item, "k")
        state = (local.sliding if moving else local.fixed)("k", 5, 10, True)
        expected = (allowed, max(0, stats.remaining), max(1, math.ceil(stats.reset_time - clock[0])))
        assert state is not None and (state.allowed, state.remaining, state.reset_after) == expected
        outcomes.add(allowed)
    assert outcomes == {True, False}


def test_in_process_windows_are_swept(monkeypatch):
    from gateway import ratelimit

    clock = [1_700_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    local = ratelimit.LocalWindows()
    assert local.fixed("a", 1, 10, False) is None and local.sliding("b", 1, 10, False) is None
    refused = local.fixed("a", 1, 10, False)
    assert refused is not None and not refused.allowed and refused.reset_after == 10
    clock[0] += ratelimit.SWEEP_EVERY + 30
    local.fixed("c", 1, 10, False)
    assert set(local._fixed) == {"c"} and local._sliding == {}
