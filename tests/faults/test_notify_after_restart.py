"""A real `ticketgate worker` on a PostgreSQL of the test's own, stopped and started again: the
worker opens its LISTEN connection again by itself, and an order placed after the restart is
delivered on its NOTIFY. The worker's poll interval is an hour, so a worker left on polling
(the defect of issue 17: LISTEN not re-opened) could not deliver in time and the test fails."""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg

from core.addresses import AddressPolicy
from core.clock import SystemClock
from core.db import create_database, migrate
from core.models import Scope
from core.subscriptions import Guard, SubscriptionCreate, create_subscription
from core.vault import Vault
from gateway.config import Settings
from gateway.runtime import build_checkout
from tests import factories
from tests.faults.pg import private_postgres
from tests.ops.conftest import connect
from tests.ops.procs import process_env, running, until
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import _order

KEY = Vault.generate_key()
GUARD = Guard(AddressPolicy(development=True), Vault([KEY]))  # the worker decrypts with the same key
DELIVERY_BOUND = 5.0  # seconds an order may take to arrive on its NOTIFY (the poll is an hour)


async def _prepare(server_dsn: str) -> str:
    dsn = await create_database(server_dsn, "tg_notify")
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


async def _place(dsn: str, office: dict) -> None:
    conn = await connect(dsn)
    try:
        await _order(conn, office, build_checkout(Settings(), SystemClock()))
    finally:
        await conn.close()


async def _delivered(receiver: Receiver, count: int) -> float:
    started = time.monotonic()
    await until(lambda: len(receiver.received) >= count, DELIVERY_BOUND, f"delivery {count} did not arrive")
    return time.monotonic() - started


async def test_notify_wakes_a_worker_process_after_a_postgres_restart(tmp_path: Path) -> None:
    receiver = Receiver()
    with private_postgres() as server:
        dsn = await _prepare(server.dsn)
        conn = await connect(dsn)
        try:
            office = await factories.box_office(conn, plan="pro")
            data = SubscriptionCreate.model_validate({"url": receiver.url, "event_types": ["order.placed"]})
            await create_subscription(conn, Scope(office["id"], True), "pro", data, GUARD)
        finally:
            await conn.close()
        env = process_env(dsn, tmp_path, development=True, encryption_keys=KEY, webhook_poll_interval=3600)
        with running(["worker"], env, tmp_path) as worker:
            await worker.until_logged("webhook worker running")
            await _place(dsn, office)
            before = await _delivered(receiver, 1)
            server.stop()
            await worker.until_logged("connection lost; reconnecting", 10)
            server.start()
            restarted = time.monotonic()
            await worker.until_logged("listening again", 30)
            relisten = time.monotonic() - restarted
            await _place(dsn, office)
            after = await _delivered(receiver, 2)
    receiver.close()
    print(f"\nnotify after restart: first delivery {before:.2f} s; LISTEN again {relisten:.2f} s after the "
          f"restart; order after it delivered in {after:.2f} s (poll interval 3600 s)")
    assert len(receiver.received) == 2
