"""Gauges sampled every few seconds: the connection pool and the webhook outbox.

prometheus-client's multiprocess mode cannot call back into a worker at scrape time, so each
process samples its own pool (summed across workers) and the outbox (the same database for
all: the most recent sample wins) on a timer; a scrape then reads numbers at most
``EVERY_SECONDS`` old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from core.clock import Clock
from gateway.metrics import Metrics

log = logging.getLogger("ticketgate.metrics")
EVERY_SECONDS = 5.0
OUTBOX_SQL = ("SELECT count(*), coalesce(extract(epoch FROM $1::timestamptz - min(created_at)), 0)"
              " FROM webhook_deliveries WHERE status = 'pending'")


def pool_waiting(pool: asyncpg.Pool) -> int:
    """Requests waiting for a connection. asyncpg has no public count: its holder queue is an
    asyncio.Queue, whose waiting getters are the acquirers (0 if that ever changes)."""
    getters = getattr(getattr(pool, "_queue", None), "_getters", None)
    return len(getters) if getters is not None else 0


async def sample_once(pool: asyncpg.Pool, metrics: Metrics, clock: Clock) -> None:
    metrics.sample_pool(pool.get_size(), pool.get_idle_size(), pool_waiting(pool))
    async with pool.acquire() as conn:
        pending, oldest = await conn.fetchrow(OUTBOX_SQL, clock.now())
    metrics.sample_outbox(pending, float(oldest))


async def run_forever(pool: asyncpg.Pool, metrics: Metrics, clock: Clock, every: float = EVERY_SECONDS) -> None:
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
            await sample_once(pool, metrics, clock)
        await asyncio.sleep(every)
