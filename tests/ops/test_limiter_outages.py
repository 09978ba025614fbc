"""The rate-limit storage lost or frozen: "open" serves uncounted (one log line, a metric),
"closed" answers each dialect's 503 and /readyz says so; nothing hangs, nothing is a 500.

No test touches the machine's Redis: a refused port, a listener that never answers, and a
redis-server of the test's own (stopped by its PID) stand in for the outages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialects.base import RateLimitPolicy, Unavailable
from gateway.app import build_app
from gateway.ratelimit import RateLimiter
from tests.ops.procs import free_port

POLICY = RateLimitPolicy(1000, 60, moving=True)
PATHS = {"ticketsmart": "/ticketsmart/api/v1/events", "tickettailor": "/tickettailor/v1/events",
         "equaticket": "/equaticket/api/v1/events"}


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A loopback port that accepts connections and never answers (a SIGSTOPped Redis)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    for writer in held:
        writer.close()
    server.close()


def refused() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.mark.parametrize("kind", ["refused", "silent"])
async def test_open_serves_uncounted_within_the_timeout(kind, silent):
    errors: list[int] = []
    limiter = RateLimiter(refused() if kind == "refused" else silent, on_error="open", timeout=0.2,
                          on_storage_error=lambda: errors.append(1))
    started = time.monotonic()
    assert [await limiter.hit(POLICY, "k", report=True) for _ in range(3)] == [None, None, None]
    assert time.monotonic() - started < 3 * 0.4 + 0.5  # each bounded by the timeout, none hangs
    assert len(errors) == 3
    assert await limiter.check(0.2) is False


@pytest.mark.parametrize("kind", ["refused", "silent"])
async def test_closed_refuses_as_unavailable(kind, silent):
    limiter = RateLimiter(refused() if kind == "refused" else silent, on_error="closed", timeout=0.2)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        await limiter.hit(POLICY, "k")
    assert time.monotonic() - started < 1
    assert caught.value.what == "rate-limit storage"



async def _get(app: Any, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.get(path, headers=headers or {})


async def test_through_the_dialects_open_is_200_closed_is_each_dialects_503(gateway, app_with, dialect_keys, silent):
    opened = app_with(*PATHS, limiter=RateLimiter(silent, on_error="open", timeout=0.2))
    for name, path in PATHS.items():
        assert (await _get(opened, path, dialect_keys[name])).status_code == 200, name
    closed = app_with(*PATHS, limiter=RateLimiter(silent, on_error="closed", timeout=0.2))
    answers = {name: await _get(closed, path, dialect_keys[name]) for name, path in PATHS.items()}
    assert all(a.status_code == 503 and a.headers["retry-after"] == "2" for a in answers.values())
    message = "The rate-limit storage is unavailable; retry in 2 s"
    assert answers["ticketsmart"].json() == {"error": "Service unavailable", "retryAfter": 2}
    assert answers["tickettailor"].json()["message"] == message
    assert answers["equaticket"].json()["error"]["code"] == "service_unavailable"


async def test_readiness_looks_at_the_storage_only_when_requests_need_it(gateway, silent):
    import dataclasses

    closed = dataclasses.replace(gateway, limiter=RateLimiter(silent, on_error="closed", timeout=0.2))
    response = await _get(build_app(closed), "/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "rate_limit_storage": "unreachable"}
    opened = dataclasses.replace(gateway, limiter=RateLimiter(silent, on_error="open", timeout=0.2))
    assert (await _get(build_app(opened), "/readyz")).json() == {"status": "ready", "database": "ok"}


@contextlib.contextmanager
def redis_server(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own on a free loopback port, stopped by its PID."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI machines have redis-server")
        pytest.skip("redis-server is not installed")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


async def _until_up(limiter: RateLimiter) -> None:
    for _ in range(100):
        if await limiter.check(0.2):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("redis-server did not come up")


async def test_a_real_redis_lost_and_back(tmp_path):
    port = free_port()
    limiter = RateLimiter(f"redis://127.0.0.1:{port}/0", on_error="open", timeout=0.3)
    policy = RateLimitPolicy(2, 60, moving=False)
    with redis_server(port, tmp_path) as server:
        await _until_up(limiter)
        assert [(await limiter.hit(policy, "real")).allowed for _ in range(3)] == [True, True, False]  # type: ignore[union-attr]
        server.kill()
        server.wait(timeout=10)
    started = time.monotonic()
    assert await limiter.hit(policy, "real") is None  # lost: served uncounted, at once
    assert time.monotonic() - started < 1
    with redis_server(port, tmp_path):  # back (empty: it kept nothing on disk)
        await _until_up(limiter)
        state = await limiter.hit(policy, "real")
        assert state is not None and state.allowed  # counted again, without a restart of ours
