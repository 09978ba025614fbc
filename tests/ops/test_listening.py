"""LISTEN connections open themselves again after the database drops them: the webhook worker
is woken by NOTIFY again (not left on its 1 s poll), the key store caches again."""

from __future__ import annotations

import asyncio
from typing import Any

from core import keys
from core.listening import Listener
from dialects import registry
from gateway.webhook_worker import Worker
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import GUARD, _order, _subscribe


def _backend_of(listener: Listener) -> int | None:
    conn = listener._conn  # noqa: SLF001 - its server pid is what an administrator terminates
    return None if conn is None else int(conn.get_server_pid())


async def _until(predicate: Any, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_the_worker_listens_again_after_its_connection_is_terminated(gateway, conn, box_office, clock,
                                                                          monkeypatch):
    monkeypatch.setattr("core.listening.FIRST_DELAY", 0.05)
    receiver = Receiver()
    worker = Worker(gateway.pool, gateway.dsn, clock, GUARD, poll_interval=3600)  # only NOTIFY can wake it in time
    await worker.start()
    try:
        pid = _backend_of(worker._listener)  # noqa: SLF001
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
        assert await _until(lambda: worker.listening and _backend_of(worker._listener) != pid)  # noqa: SLF001
        await asyncio.sleep(0.2)  # its wake-up pass finds nothing: now only a NOTIFY can wake it
        await _subscribe(conn, box_office, receiver.url)
        await _order(conn, box_office, gateway.checkout)
        assert await _until(lambda: len(receiver.received) == 1)
    finally:
        await worker.stop()
        receiver.close()


async def test_the_key_store_caches_again_and_still_hears_revocations(gateway, conn, box_office, monkeypatch):
    monkeypatch.setattr("core.listening.FIRST_DELAY", 0.05)
    store = keys.KeyStore(gateway.pool, gateway.dsn)
    await store.start()
    try:
        row, secret = await keys.create_key(conn, box_office["id"], registry.key_rules("equaticket"))
        assert await store.authenticate(secret, "equaticket") is not None and store.caching
        pid = _backend_of(store._listener)  # noqa: SLF001
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
        assert await _until(lambda: store.caching and _backend_of(store._listener) != pid)  # noqa: SLF001
        assert await store.authenticate(secret, "equaticket") is not None  # cached again
        await keys.revoke_key(conn, row["id"])  # heard on the new connection
        for _ in range(100):
            if await store.authenticate(secret, "equaticket") is None:
                break
            await asyncio.sleep(0.05)
        assert await store.authenticate(secret, "equaticket") is None
    finally:
        await store.close()


async def test_a_listener_that_cannot_connect_keeps_trying_until_closed(monkeypatch):
    monkeypatch.setattr("core.listening.FIRST_DELAY", 0.01)
    listener = Listener("postgresql://nobody@127.0.0.1:1/none", "x", lambda *a: None)
    listener._lost(None)  # noqa: SLF001 - as if the connection had just dropped
    await asyncio.sleep(0.1)
    assert not listener.listening
    await listener.close()  # stops the reconnection loop
    assert listener._reconnecting is not None and listener._reconnecting.done()  # noqa: SLF001
