"""The webhook worker: an httpx sender for core's delivery engine, and its wiring.

The worker runs inside every ``ticketgate serve`` process (and alone as
``ticketgate worker``); any number of them share the work through SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import asyncpg
import httpx

from core.addresses import AddressPolicy
from core.clock import Clock
from core.listening import Listener
from core.subscriptions import Guard
from core.webhooks import CHANNEL, DeliveryEngine, Renderer, SendResult
from gateway.egress import Refused, Resolver, SystemResolver, checked_address
from gateway.maintenance import cancel

log = logging.getLogger("ticketgate.webhooks")


class HttpxSender:
    """POSTs a delivery to the address ``egress`` checked. Redirects are failures: a receiver
    must answer at its own URL.

    Pinning the address uses httpx's documented ``sni_hostname`` request extension: the URL
    carries the checked IP (so httpx makes no lookup of its own), the Host header and the TLS
    server name carry the host name, and the certificate is verified for that name. httpx pools
    connections by URL origin, here the IP: two receivers behind one IP could share a TLS
    connection verified for only one of their names, so connections are not kept alive.
    """

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        self.policy = policy
        self.resolver = resolver or SystemResolver()
        self.client = client or httpx.AsyncClient(
            follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0))

    async def send(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult:
        started = time.perf_counter()
        try:
            target, extensions = await self._pinned(httpx.URL(url), timeout)
        except Refused as exc:
            return SendResult(None, _ms(started), f"refused: {exc}"[:500])
        except (OSError, TimeoutError, httpx.InvalidURL) as exc:
            return SendResult(None, _ms(started), f"cannot resolve the host: {exc or type(exc).__name__}"[:500])
        try:
            response = await self.client.post(target, content=body, timeout=timeout, extensions=extensions,
                                              headers={**headers, "host": httpx.URL(url).netloc.decode()})
        except httpx.TimeoutException:
            return SendResult(None, _ms(started), f"timed out after {timeout:g}s")
        except httpx.HTTPError as exc:
            return SendResult(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
        error = None
        if response.is_redirect:
            error = f"redirect to {response.headers.get('location', '?')} (redirects are not followed)"
        elif not response.is_success:
            error = f"HTTP {response.status_code}"
        return SendResult(response.status_code, _ms(started), error)

    async def _pinned(self, url: httpx.URL, timeout: float) -> tuple[httpx.URL, dict[str, str]]:
        """The URL with its host replaced by the checked address, and the TLS server name."""
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        ip = await asyncio.wait_for(checked_address(host, port, self.policy, self.resolver), timeout)
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        return url.copy_with(host=str(ip)), extensions

    async def close(self) -> None:
        await self.client.aclose()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def payload_renderer(public_base_url: str) -> Renderer:
    """Payload objects are in the Equaticket dialect's shape, as its GET endpoints return them."""
    from dialects.equaticket.queries import WebhookPayloads

    return WebhookPayloads(public_base_url)


class Worker:
    """Runs a delivery engine until stopped, woken by NOTIFY from the outbox."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, clock: Clock, guard: Guard, *, poll_interval: float = 1.0,
                 resolver: Resolver | None = None, on_attempt: Callable[[str], None] | None = None) -> None:
        self.poll_interval = poll_interval  # a safety net: NOTIFY wakes the worker at once
        self.sender = HttpxSender(guard.addresses, resolver)
        self.engine = DeliveryEngine(pool, self.sender, clock, guard.vault, on_attempt=on_attempt)
        # woken at once by NOTIFY; re-listening after a database restart wakes it too, for what
        # was queued while nobody listened (the poll is the safety net meanwhile)
        self._listener = Listener(dsn, CHANNEL, self.engine.wake, on_listening=self.engine.wake)
        self._task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._listener.listening

    async def start(self) -> None:
        await self._listener.start()
        self._task = asyncio.get_running_loop().create_task(self.engine.run_forever(self.poll_interval))

    async def stop(self, timeout: float = 0.0) -> None:
        """Let the attempts in flight finish for up to ``timeout`` seconds, then cancel what is
        left and hand its deliveries back (a cancelled send was maybe never made)."""
        if self._task is not None:
            self.engine.stop_claiming()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            await cancel(self._task)
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                released = await self.engine.release()
                if released:
                    log.info("webhook worker: %d claimed deliveries handed back", released)
        await self._listener.close()
        await self.sender.close()
