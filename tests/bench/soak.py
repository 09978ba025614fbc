"""The memory soak (RSS after 20,000 and 200,000 requests) and the oversell check."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx

from tests.bench import load as loadgen
from tests.bench.scenarios import ADMIN_TOKEN, Scenario
from tests.bench.seed import WRITE_SLUG, Fixture
from tests.bench.servers import Server

CHUNK_SECONDS = 5.0
EARLY = 20_000
PRIME_REQUESTS = 400  # per GET scenario: 19 scenarios stay well under EARLY


class Memory:
    """RSS of one worker against the requests it has served so far (every load run counts)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.served = 0
        self.samples: list[tuple[int, float]] = []

    def add(self, requests: int) -> None:
        self.served += requests
        self.samples.append((self.served, max(self.server.rss_mb())))

    def summary(self, late_at: int) -> dict[str, Any]:
        early = next((rss for count, rss in self.samples if count >= EARLY), None)
        late = next((rss for count, rss in self.samples if count >= late_at), None)
        return {"requests": self.served, "rss_at_20k_mb": early, "rss_at_200k_mb": late,
                "final_rss_mb": self.samples[-1][1] if self.samples else None,
                "peak_rss_mb": max((rss for _, rss in self.samples), default=None), "samples": self.samples}


def prime(load: loadgen.Load, memory: Memory, gets: list[Scenario], requests: int = PRIME_REQUESTS) -> None:
    """Every GET scenario at full concurrency for a fixed number of requests, so the sample taken
    after 20,000 already holds the worker's whole working set (16 concurrent 100-order pages):
    later growth then means a leak. A count, not a duration: on a fast machine one second of the
    first scenarios alone passed 20,000 requests before the large pages had been served."""
    for s in gets:
        memory.add(loadgen.run_count(load, memory.server.url + s.path, s, requests)["requests"])
    print(f"  {memory.served:>8} requests  RSS {memory.samples[-1][1]:.1f} MB"
          f" ({requests} requests of every GET scenario)", flush=True)


def warm(load: loadgen.Load, server: Server, gets: list[Scenario], requests: int = PRIME_REQUESTS) -> None:
    """Every GET scenario for a fixed number of requests, as ``prime`` warms the soak's worker."""
    for s in gets:
        loadgen.run_count(load, server.url + s.path, s, requests)


def run(load: loadgen.Load, memory: Memory, gets: list[Scenario], requests: int, max_seconds: float) -> None:
    """GET scenarios in rotation on the fresh worker, in chunks, until it has served ``requests``.

    The time cap keeps the run bounded; the scenarios measured afterwards keep counting, so
    the 200,000th request is usually reached later in the same worker's life.
    """
    started = time.monotonic()
    while memory.served < requests and time.monotonic() - started < max_seconds:
        result = loadgen.run_mixed(load, memory.server.url, gets, CHUNK_SECONDS)
        if result["errors"] or result["status_errors"]:
            raise RuntimeError(f"memory soak: {result['errors']} errors, {result['status_errors']} bad statuses")
        memory.add(result["requests"])
        print(f"  {memory.served:>8} requests  RSS {memory.samples[-1][1]:.1f} MB", flush=True)


def age(load: loadgen.Load, server: Server, gets: list[Scenario], requests: int, max_seconds: float) -> None:
    """The same rotation on another server until it has served as many requests (or the time cap)."""
    served, started = 0, time.monotonic()
    while served < requests and time.monotonic() - started < max_seconds:
        result = loadgen.run_mixed(load, server.url, gets, CHUNK_SECONDS)
        if result["errors"] or result["status_errors"]:
            raise RuntimeError(f"{server.name}: {result['errors']} errors, {result['status_errors']} bad statuses")
        served += result["requests"]
    print(f"  {server.name}: {served} requests of the same rotation", flush=True)


async def oversell(base_url: str, dsn: str, fx: Fixture, buyers: int = 48) -> dict[str, Any]:
    """Many buyers race for a small stock through the operator API; then count what was sold.

    Passes when exactly the stock was sold and, on every checkout type, ``sold`` equals the
    issued tickets and never exceeds the quantity.
    """
    attempts = fx.contention_stock * 3
    body = {"event": str(fx.checkout_event), "tickets": [f"tt_{fx.contention_type}:1"],
            "email": "racer@example.com"}
    url = f"{base_url}/admin/v1/box-offices/{WRITE_SLUG}/orders"
    statuses: dict[int, int] = {}
    queue = iter(range(attempts))

    async def buyer(client: httpx.AsyncClient) -> None:
        for _ in queue:
            response = await client.post(url, json=body)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        await asyncio.gather(*(buyer(client) for _ in range(buyers)))
    return {**await _counts(dsn, fx), "attempts": attempts, "statuses": statuses,
            "accepted": statuses.get(201, 0), "stock": fx.contention_stock}


async def _counts(dsn: str, fx: Fixture) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT tt.id, tt.name, tt.quantity, tt.sold,"
            " (SELECT count(*) FROM issued_tickets t WHERE t.ticket_type_id = tt.id) AS tickets"
            " FROM ticket_types tt WHERE tt.id = ANY($1::bigint[]) ORDER BY tt.id",
            [fx.checkout_type, fx.contention_type],
        )
    finally:
        await conn.close()
    types = [dict(r) for r in rows]
    oversold = sum(max(0, r["sold"] - r["quantity"]) + abs(r["sold"] - r["tickets"]) for r in types)
    small = next(r for r in types if r["id"] == fx.contention_type)
    oversold += abs(small["sold"] - fx.contention_stock)  # the race must sell out, exactly
    detail = "; ".join(f"{r['name']}: sold {r['sold']} of {r['quantity']}, {r['tickets']} tickets" for r in types)
    return {"types": types, "oversold": oversold, "detail": detail}
