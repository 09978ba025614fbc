"""The limiter on both storages: in-process memory, and Redis shared by many processes."""

from __future__ import annotations

import os
import uuid

import pytest

from dialects.base import RateLimitPolicy
from gateway.ratelimit import RateLimiter

STORAGES = ["memory://", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")]


async def _redis_up(uri: str) -> bool:
    try:
        return await RateLimiter(uri).check()
    except Exception:
        return False


@pytest.mark.parametrize("uri", STORAGES)
@pytest.mark.parametrize("moving", [True, False])
async def test_counts_remaining_and_refuses_past_the_limit(uri, moving):
    if uri.startswith("redis") and not await _redis_up(uri):
        if os.environ.get("CI"):
            pytest.fail("Redis must be reachable in CI")
        pytest.skip("no Redis on this machine")
    limiter = RateLimiter(uri)
    policy = RateLimitPolicy(3, 60, moving=moving)
    key = f"test:{uuid.uuid4().hex}"
    states = [await limiter.hit(policy, key) for _ in range(4)]
    assert [s.allowed for s in states] == [True, True, True, False]
    assert [s.remaining for s in states] == [2, 1, 0, 0]
    assert all(1 <= s.reset_after <= 60 for s in states)
    assert (await limiter.hit(policy, f"{key}:other")).allowed


async def test_two_limiters_on_redis_share_one_budget():
    uri = STORAGES[1]
    if not await _redis_up(uri):
        if os.environ.get("CI"):
            pytest.fail("Redis must be reachable in CI")
        pytest.skip("no Redis on this machine")
    first, second = RateLimiter(uri), RateLimiter(uri)
    policy = RateLimitPolicy(2, 60, moving=True)
    key = f"test:{uuid.uuid4().hex}"
    assert (await first.hit(policy, key)).allowed
    assert (await second.hit(policy, key)).allowed
    assert not (await first.hit(policy, key)).allowed


def test_in_process_counters_expire_without_a_sweeper_thread(monkeypatch):
    import threading

    from gateway import ratelimit

    storage = ratelimit.InProcessStorage()
    storage.timer.join()  # limits' constructor starts its sweeper once; hits must not start more
    threads = threading.active_count()
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    storage._next_sweep = clock[0] + ratelimit.SWEEP_EVERY
    assert storage.incr("a", 10) == 1 and storage.incr("a", 10) == 2
    assert storage.incr("b", 100) == 1
    clock[0] += 11  # "a" has expired: it starts again; the sweep drops it on its own too
    assert storage.get("a") == 0 and storage.incr("a", 10) == 1
    clock[0] += ratelimit.SWEEP_EVERY + 11
    storage.incr("b", 100)
    assert "a" not in storage.storage and storage.get("b") == 2
    assert storage.decr("b") == 1 and storage.decr("b", 5) == 0
    assert threading.active_count() == threads
