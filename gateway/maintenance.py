"""Housekeeping every serve process runs now and then; each job is safe to run concurrently."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from core import idempotency
from core.clock import Clock

log = logging.getLogger("ticketgate.maintenance")
EVERY_SECONDS = 600.0


async def run_once(pool: asyncpg.Pool, clock: Clock) -> int:
    """Delete expired idempotency records; return how many went."""
    async with pool.acquire() as conn:
        return await idempotency.purge_expired(conn, clock.now())


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Stop a background loop and wait until it has (its CancelledError is the expected end)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_forever(pool: asyncpg.Pool, clock: Clock, every: float = EVERY_SECONDS) -> None:
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            purged = await run_once(pool, clock)
            if purged:
                log.info("purged %d expired idempotency records", purged)
        await asyncio.sleep(every)
