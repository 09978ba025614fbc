"""The running gateway's shared services: database, key store, rate limiter, clock, checkout,
metrics; its start-up (waiting for the database) and its drain."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import time
from dataclasses import dataclass, field

import asyncpg

from core.checkout import Checkout
from core.checkout.service import CheckoutStats
from core.clock import Clock, SystemClock
from core.db import create_pool, migrate, start_embedded
from core.keys import KeyStore
from core.subscriptions import Guard
from core.vault import Undecryptable, Vault, seal_stored
from core.webhooks import Outbox
from dialects.base import Services
from gateway import maintenance, sampler
from gateway.config import ConfigError, Settings
from gateway.keyring import guard_for
from gateway.metrics import Metrics
from gateway.ratelimit import FailedAuthThrottle, RateLimiter
from gateway.webhook_worker import Worker, payload_renderer

log = logging.getLogger("ticketgate")
READY_TIMEOUT = 2.0  # seconds the readiness check may take in all


class DatabaseUnavailable(Exception):
    """Start-up gave up waiting for the database (``database_wait``)."""


def resolve_dsn(settings: Settings) -> str:
    """The configured server, or the embedded one (started or joined) in the data folder."""
    return settings.database_url or start_embedded(settings.data_dir)


def build_checkout(settings: Settings, clock: Clock, stats: CheckoutStats | None = None) -> Checkout:
    """The process's one checkout, whose order changes write webhook events (the gateway's, the
    CLI's), rendered with the public base URL of the settings."""
    return Checkout(clock, [Outbox(payload_renderer(settings.public_base_url), clock)], stats=stats)


def build_metrics(settings: Settings) -> Metrics | None:
    if settings.metrics == "off":
        return None
    return Metrics(str(settings.metrics_dir) if settings.metrics_dir else None)


def build_auth_throttle(settings: Settings, limiter: RateLimiter | None) -> FailedAuthThrottle | None:
    """The budget of failed authentications per client: on the rate limits' storage, and kept
    when rate limits are off (it guards the keys, not the capacity)."""
    if not settings.auth_failures_per_minute:
        return None
    return FailedAuthThrottle(limiter or build_limiter(settings), settings.auth_failures_per_minute)


def build_limiter(settings: Settings, metrics: Metrics | None = None) -> RateLimiter:
    return RateLimiter(settings.rate_limit_storage, on_error=settings.rate_limit_on_storage_error,
                       timeout=settings.rate_limit_storage_timeout,
                       on_storage_error=metrics.storage_failed if metrics else None)


async def connect_pool(settings: Settings, dsn: str) -> asyncpg.Pool:
    """The pool, once the database accepts connections: a first ``compose up`` starts the
    gateway beside a PostgreSQL that is still starting, so start-up waits for it (with backoff,
    one log line per attempt) for up to ``database_wait`` seconds."""
    deadline = time.monotonic() + settings.database_wait
    delay = 0.25
    for attempt in itertools.count(1):
        try:
            return await create_pool(dsn, min_size=settings.pool_min_size, max_size=settings.pool_max_size,
                                     statement_timeout=settings.statement_timeout)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnavailable(f"the database did not accept connections within database_wait"
                                          f" ({settings.database_wait:g}s, {attempt} attempts): {exc}") from None
            log.warning("database not ready (attempt %d: %s); retrying in %.1fs", attempt, exc, min(delay, left))
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


async def wait_for_database(settings: Settings, dsn: str) -> None:
    """Wait (as ``connect_pool`` does) until the database accepts, with one connection."""
    pool = await connect_pool(settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1}), dsn)
    await pool.close()


async def run_worker(settings: Settings, dsn: str) -> None:
    """``ticketgate worker``: deliver webhooks until SIGTERM or SIGINT, then drain as ``serve``
    does (attempts in flight get ``shutdown_timeout`` seconds, the rest are handed back)."""
    pool = await connect_pool(settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 4}), dsn)
    worker = Worker(pool, dsn, SystemClock(), guard_for(settings), poll_interval=settings.webhook_poll_interval)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        await worker.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("webhook worker running; Ctrl-C to stop")
        await stop.wait()
        log.info("webhook worker: stopping (up to %gs for attempts in flight)", settings.shutdown_timeout)
    finally:
        await worker.stop(timeout=settings.shutdown_timeout)
        await pool.close()


async def read_cursor_secret(conn: asyncpg.Connection, vault: Vault) -> str:
    """The key every process signs cursors with; a start whose keys cannot open it stops."""
    stored = await conn.fetchval("SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'")
    try:
        return vault.reveal(stored)
    except Undecryptable as exc:
        raise ConfigError(f"the cursor-signing key: {exc} (is the key that sealed it in encryption_keys?)") from None


@dataclass
class Gateway:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    dsn: str = ""
    pool: asyncpg.Pool | None = None
    keys: KeyStore | None = None
    limiter: RateLimiter | None = None
    auth_throttle: FailedAuthThrottle | None = None
    cursor_secret: str = ""
    guard: Guard | None = None  # the address policy and the vault of webhook subscriptions
    worker: Worker | None = None
    checkout: Checkout | None = None
    metrics: Metrics | None = None
    draining: bool = False  # set on SIGTERM: readiness answers 503 while requests finish
    _housekeeping: asyncio.Task[None] | None = None
    _sampler: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        if self.metrics is None:  # before start(): the app's outer layer is built with it
            self.metrics = build_metrics(self.settings)

    async def start(self) -> None:
        self.dsn = self.dsn or resolve_dsn(self.settings)
        self.pool = await connect_pool(self.settings, self.dsn)
        self.guard = guard_for(self.settings)
        async with self.pool.acquire() as conn:
            await migrate(conn)
            await seal_stored(conn, self.guard.vault)  # plaintext of before, or of an older key
            self.cursor_secret = await read_cursor_secret(conn, self.guard.vault)
        self.keys = KeyStore(self.pool, self.dsn)
        await self.keys.start()
        if self.settings.rate_limits_enabled:
            self.limiter = build_limiter(self.settings, self.metrics)
        self.auth_throttle = build_auth_throttle(self.settings, self.limiter)
        self.checkout = build_checkout(self.settings, self.clock, self.metrics)
        loop = asyncio.get_running_loop()
        self._housekeeping = loop.create_task(maintenance.run_forever(self.pool, self.clock))
        if self.metrics is not None:
            self._sampler = loop.create_task(sampler.run_forever(self.pool, self.metrics, self.clock))
        if self.settings.webhook_worker:
            self.worker = Worker(self.pool, self.dsn, self.clock, self.guard,
                                 poll_interval=self.settings.webhook_poll_interval,
                                 on_attempt=self.metrics.attempted if self.metrics else None)
            await self.worker.start()

    def begin_drain(self) -> None:
        """Stop looking ready (load balancers stop sending) while in-flight requests finish."""
        if not self.draining:
            log.info("draining: readiness now answers 503")
        self.draining = True

    async def stop(self) -> None:
        self.draining = True
        await maintenance.cancel(self._housekeeping)
        await maintenance.cancel(self._sampler)
        if self.worker is not None:
            await self.worker.stop(timeout=self.settings.shutdown_timeout)
        if self.keys is not None:
            await self.keys.close()
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await self.pool.close()

    def services(self) -> Services:
        assert self.pool is not None and self.keys is not None and self.checkout is not None, (
            "start() the gateway first")
        assert self.guard is not None
        return Services(
            pool=self.pool,
            keys=self.keys,
            limiter=self.limiter,
            clock=self.clock,
            checkout=self.checkout,
            cursor_secret=self.cursor_secret,
            webhooks=self.guard,
            public_base_url=self.settings.public_base_url.rstrip("/"),
            development=self.settings.development,
            stats=self.metrics,
            timeout=self.settings.request_timeout or None,
            auth_throttle=self.auth_throttle,
        )

    async def ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Not draining, and every dependency answers (see ``checks``)."""
        if self.draining:
            return False
        return all(state == "ok" for state in (await self.checks(timeout)).values())

    async def checks(self, timeout: float = READY_TIMEOUT) -> dict[str, str]:
        """Each dependency readiness needs: the database, answering within ``timeout`` (acquiring
        and the query together: a frozen server must not hold the probe), and the rate-limit
        storage when requests are refused without it (``rate_limit_on_storage_error = "closed"``)."""
        found = {"database": "ok" if await self._database_answers(timeout) else "unreachable"}
        limiter = self.limiter
        if limiter is not None and not limiter.in_process and limiter.on_error == "closed":
            found["rate_limit_storage"] = "ok" if await limiter.check(timeout) else "unreachable"
        return found

    async def _database_answers(self, timeout: float) -> bool:
        if self.pool is None:
            return False
        try:
            return await asyncio.wait_for(self._ping(self.pool), timeout)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False

    @staticmethod
    async def _ping(pool: asyncpg.Pool) -> bool:
        async with pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT 1") == 1)
