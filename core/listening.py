"""A LISTEN connection that opens itself again after the database drops it (a restart, an
administrator's terminate), so NOTIFY keeps waking its owner instead of falling silent.

The key store (revocations) and the webhook worker (new deliveries) each hold one. While the
connection is down ``listening`` is False and the owner falls back to what is safe without
notifications (the key store caches nothing, the worker polls); ``on_listening`` runs each
time it is up again, since notifications sent in between were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger("ticketgate.listening")
FIRST_DELAY, MAX_DELAY = 0.5, 10.0  # seconds between reconnection attempts, doubling


class Listener:
    def __init__(self, dsn: str, channel: str, on_notify: Callable[..., Any], *,
                 on_lost: Callable[[], None] | None = None, on_listening: Callable[[], None] | None = None) -> None:
        self.dsn, self.channel, self.on_notify = dsn, channel, on_notify
        self.on_lost, self.on_listening = on_lost, on_listening
        self._conn: asyncpg.Connection | None = None
        self._closing = False
        self._reconnecting: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        """Listen now (raises when the database cannot be reached)."""
        conn = await asyncpg.connect(self.dsn)
        await conn.add_listener(self.channel, self.on_notify)
        conn.add_termination_listener(self._lost)
        self._conn = conn
        if self.on_listening is not None:
            self.on_listening()

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()

    def _lost(self, _conn: Any) -> None:
        self._conn = None
        if self.on_lost is not None:
            self.on_lost()
        if not self._closing:
            log.warning("LISTEN %s: connection lost; reconnecting", self.channel)
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = FIRST_DELAY
        while not self._closing and self._conn is None:
            try:
                await self.start()
                log.info("LISTEN %s: listening again", self.channel)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
