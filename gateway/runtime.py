"""The running gateway's shared services: database, key store, rate limiter, clock, checkout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import asyncpg

from core.checkout import Checkout
from core.clock import Clock, SystemClock
from core.db import create_pool, migrate, start_embedded
from core.keys import KeyStore
from core.webhooks import Outbox
from dialects.base import Services
from gateway import maintenance
from gateway.config import Settings
from gateway.ratelimit import RateLimiter
from gateway.webhook_worker import Worker, payload_renderer

log = logging.getLogger("ticketgate")


def resolve_dsn(settings: Settings) -> str:
    """The configured server, or the embedded one (started or joined) in the data folder."""
    return settings.database_url or start_embedded(settings.data_dir)


def build_checkout(settings: Settings, clock: Clock) -> Checkout:
    """The process's one checkout, whose order changes write webhook events (the gateway's, the
    CLI's), rendered with the public base URL of the settings."""
    return Checkout(clock, [Outbox(payload_renderer(settings.public_base_url), clock)])


@dataclass
class Gateway:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    dsn: str = ""
    pool: asyncpg.Pool | None = None
    keys: KeyStore | None = None
    limiter: RateLimiter | None = None
    cursor_secret: str = ""
    worker: Worker | None = None
    checkout: Checkout | None = None
    _housekeeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.dsn = self.dsn or resolve_dsn(self.settings)
        self.pool = await create_pool(
            self.dsn, min_size=self.settings.pool_min_size, max_size=self.settings.pool_max_size,
            statement_timeout=self.settings.statement_timeout,
        )
        async with self.pool.acquire() as conn:
            await migrate(conn)
            self.cursor_secret = await conn.fetchval(
                "SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'"
            )
        self.keys = KeyStore(self.pool, self.dsn)
        await self.keys.start()
        if self.settings.rate_limits_enabled:
            self.limiter = RateLimiter(self.settings.rate_limit_storage)
        self.checkout = build_checkout(self.settings, self.clock)
        self._housekeeping = asyncio.get_running_loop().create_task(maintenance.run_forever(self.pool, self.clock))
        if self.settings.webhook_worker:
            self.worker = Worker(self.pool, self.dsn, self.clock)
            await self.worker.start()

    async def stop(self) -> None:
        await maintenance.cancel(self._housekeeping)
        if self.worker is not None:
            await self.worker.stop()
        if self.keys is not None:
            await self.keys.close()
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await self.pool.close()

    def services(self) -> Services:
        assert self.pool is not None and self.keys is not None and self.checkout is not None, (
            "start() the gateway first")
        return Services(
            pool=self.pool,
            keys=self.keys,
            limiter=self.limiter,
            clock=self.clock,
            checkout=self.checkout,
            cursor_secret=self.cursor_secret,
            public_base_url=self.settings.public_base_url.rstrip("/"),
            development=self.settings.development,
        )

    async def ready(self) -> bool:
        if self.pool is None:
            return False
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return await conn.fetchval("SELECT 1") == 1
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
