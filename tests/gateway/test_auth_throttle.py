"""Failed authentications are throttled per client address, in every dialect and on /admin/v1.

A budget of failures per rolling minute per address (``auth_failures_per_minute``); once spent,
that address gets the area's own 429 with Retry-After, a valid key too, until the window frees
an attempt, while other addresses go on as before. Each test builds the app over the session's
gateway with a throttle of its own (the session's has a budget no test reaches).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from dialects.base import RateLimited
from gateway import ratelimit
from gateway.app import build_app
from gateway.config import load_settings
from gateway.ratelimit import FailedAuthThrottle, RateLimiter, client_key
from gateway.runtime import Gateway, build_auth_throttle
from tests.conformance.adapters import ADAPTERS, Adapter
from tests.gateway.test_ratelimit import STORAGES, _limiter

BUDGET = 30
ATTACKER, VISITOR = ("203.0.113.7", 40000), ("198.51.100.2", 40001)
ADMIN_TOKEN = "test-admin-token-0123456789"  # tests/conftest.py's
WRONG_KEYS = {"ticketsmart": "ts_sk_live_" + "0" * 40, "tickettailor": "sk_1_1_" + "0" * 32,
              "equaticket": "sk_live_" + "0" * 32}

Clients = Callable[[tuple[str, int]], httpx.AsyncClient]


def throttled(gateway: Gateway, throttle: FailedAuthThrottle | None = None) -> Any:
    throttle = throttle or FailedAuthThrottle(RateLimiter("memory://"), BUDGET)
    return build_app(dataclasses.replace(gateway, auth_throttle=throttle))


class FrozenTime:
    """``time.time()`` for the limiter's module (its windows and the throttle): a burst on a loaded
    machine can take seconds, and a rolling window rightly frees attempts meanwhile."""

    def __init__(self) -> None:
        self.now = time.time() // 60 * 60 + 30  # mid-window

    def time(self) -> float:
        return self.now


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    clock = FrozenTime()
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


@pytest.fixture
async def clients(gateway: Gateway, frozen: FrozenTime) -> AsyncIterator[Clients]:
    """``clients(address)``: an HTTP client of the throttled app from that address (memory://,
    frozen time)."""
    app, opened = throttled(gateway), []

    def make(address: tuple[str, int]) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=address), base_url="http://t")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def _burst(client: httpx.AsyncClient, n: int, url: str, headers: dict[str, str]) -> list[httpx.Response]:
    """``n`` requests at once (the loop interleaves them as a server's would)."""
    return list(await asyncio.gather(*(client.get(url, headers=headers) for _ in range(n))))


def _is_throttled(d: Adapter, response: httpx.Response) -> None:
    """The dialect's own documented 429."""
    assert response.status_code == 429, response.text
    body = response.json()
    assert d.is_error(body), body
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60
    if d.name == "ticketsmart":
        assert body["retryAfter"] == wait
    if d.name == "tickettailor":  # the budget that refused, reported as the vendor reports limits
        assert body["status"] == 429
        assert response.headers["x-rate-limit-limit"] == str(BUDGET)
        assert response.headers["x-rate-limit-remaining"] == "0"
        assert response.headers["x-rate-limit-reset"] == str(wait)
    if d.name == "equaticket":
        assert body["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("d", ADAPTERS, ids=[a.name for a in ADAPTERS])
async def test_300_wrong_keys_spend_the_budget_other_clients_go_on(d: Adapter, clients, box_office, make_key):
    attacker, visitor = clients(ATTACKER), clients(VISITOR)
    secret, url = await make_key(box_office, d.name), d.url(d.events)
    wrong = d.auth(WRONG_KEYS[d.name])
    guesses, served = await asyncio.gather(_burst(attacker, 300, url, wrong), _burst(visitor, 50, url, d.auth(secret)))
    codes = [r.status_code for r in guesses]
    assert codes.count(401) == BUDGET and codes.count(429) == 300 - BUDGET, codes
    for response in guesses:
        if response.status_code == 429:
            _is_throttled(d, response)
    assert [r.status_code for r in served] == [200] * 50
    # the point is to stop guessing: a right guess must look like a wrong one until the window frees
    _is_throttled(d, await attacker.get(url, headers=d.auth(secret)))
    assert (await visitor.get(url, headers=wrong)).status_code == 401  # the visitor's own budget


async def test_admin_wrong_tokens_are_throttled_in_its_format(clients):
    attacker, visitor = clients(ATTACKER), clients(VISITOR)
    right = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    wrong = [{"authorization": f"Bearer guess-{i}"} for i in range(299)] + [{"authorization": ADMIN_TOKEN}]
    guesses, served = await asyncio.gather(
        asyncio.gather(*(attacker.get("/admin/v1/box-offices", headers=h) for h in wrong)),
        _burst(visitor, 20, "/admin/v1/box-offices", right))
    codes = [r.status_code for r in guesses]
    assert codes.count(401) == BUDGET and codes.count(429) == 300 - BUDGET
    refused = next(r for r in guesses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited" and set(refused.json()) == {"error"}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert [r.status_code for r in served] == [200] * 20
    assert (await attacker.get("/admin/v1/box-offices", headers=right)).status_code == 429


async def test_one_budget_per_address_across_dialects_and_admin(clients):
    attacker = clients(ATTACKER)
    ts = ADAPTERS[0]
    spent = await _burst(attacker, BUDGET, ts.url(ts.events), ts.auth(WRONG_KEYS["ticketsmart"]))
    assert {r.status_code for r in spent} == {401}
    for d in ADAPTERS[1:]:
        _is_throttled(d, await attacker.get(d.url(d.events), headers=d.auth(WRONG_KEYS[d.name])))
    assert (await attacker.get("/admin/v1/box-offices")).status_code == 429


async def test_successes_are_not_counted_and_the_window_frees(clients, box_office, make_key, frozen):
    d = ADAPTERS[2]
    client, secret = clients(ATTACKER), await make_key(box_office, d.name)
    ok = await _burst(client, 50, d.url(d.events), d.auth(secret))
    assert {r.status_code for r in ok} == {200}
    wrong = await _burst(client, BUDGET + 1, d.url(d.events), d.auth(WRONG_KEYS[d.name]))
    assert [r.status_code for r in wrong].count(401) == BUDGET  # the 50 successes spent nothing
    frozen.now += 125  # two windows on: nothing of the failures weighs any more
    assert (await client.get(d.url(d.events), headers=d.auth(secret))).status_code == 200
    assert (await client.get(d.url(d.events), headers=d.auth(WRONG_KEYS[d.name]))).status_code == 401


async def test_the_budget_is_shared_by_processes_on_redis():
    """Two processes (two throttles) on one Redis share the budget; a process that has not seen
    the address spent learns it at that address's next failure there."""
    uri = STORAGES[1]
    first, second = FailedAuthThrottle(await _limiter(uri), 3), FailedAuthThrottle(RateLimiter(uri), 3)
    scope = {"type": "http", "client": (f"2001:db8:{uuid.uuid4().hex[:4]}::1", 1)}
    for throttle in (first, second, first):
        await throttle.failed(scope)
    with pytest.raises(RateLimited):
        await second.failed(scope)
    with pytest.raises(RateLimited):
        second.check(scope)
    first.check(scope)  # this one has not seen it spent: it will at the next failure


def test_ipv6_clients_share_a_budget_per_64():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert ratelimit.client_of({"client": None}) == "-"


def test_the_budget_is_a_setting():
    assert load_settings(environ={}).auth_failures_per_minute == 30
    assert build_auth_throttle(load_settings(environ={"TICKETGATE_AUTH_FAILURES_PER_MINUTE": "0"}), None) is None
    settings = load_settings(environ={"TICKETGATE_AUTH_FAILURES_PER_MINUTE": "5",
                                      "TICKETGATE_RATE_LIMITS_ENABLED": "false"})
    throttle = build_auth_throttle(settings, None)  # kept with rate limits off: it guards the keys
    assert throttle is not None and throttle.policy.amount == 5 and throttle.policy.per_seconds == 60


async def test_on_redis_too(gateway, box_office, make_key):
    """The same budget on the shared storage (Redis counts the burst's failures atomically)."""
    d = ADAPTERS[1]
    app = throttled(gateway, FailedAuthThrottle(await _limiter(STORAGES[1]), BUDGET))
    address = (f"192.0.2.{uuid.uuid4().int % 250 + 1}", 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=address), base_url="http://t") as c:
        guesses = await _burst(c, 100, d.url(d.events), d.auth(WRONG_KEYS[d.name]))
    # Redis windows follow the real clock: a slow burst may straddle a window edge
    assert BUDGET <= [r.status_code for r in guesses].count(401) <= BUDGET + 3
    _is_throttled(d, next(r for r in guesses if r.status_code == 429))
