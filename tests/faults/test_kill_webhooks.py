"""`kill -9` of one of two `ticketgate worker` processes during webhook deliveries: every committed
webhook event is delivered at least once, and a duplicate carries the same `webhook-id`.

The orders are placed (by core's checkout, with the outbox, in the test) before the workers start,
so every event is committed; the workers share the deliveries through SKIP LOCKED, and the victim
is killed once the receiver has seen some but not all. Its claimed deliveries stay leased for
core.webhooks.LEASE (60 s): the test does not wait for it, it ages those leases to now (saying so),
which is what the clock would do, and the survivor takes them over.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core import subscriptions
from core.addresses import AddressPolicy
from core.checkout import Checkout
from core.clock import SystemClock
from core.models import Scope, parse
from core.vault import Vault
from core.webhooks import Outbox
from gateway.webhook_worker import payload_renderer
from tests import factories
from tests.ops.conftest import connect
from tests.ops.procs import process_env, running, until
from tests.webhooks.receiver import Receiver

OFFICES, SUBSCRIPTIONS, ORDERS, KILL_AFTER = 3, 2, 20, 25  # per office; POSTs seen before kill -9
KEY = Vault.generate_key()  # the workers open the subscriptions' sealed secrets with it
GUARD = subscriptions.Guard(AddressPolicy(development=True), Vault([KEY]))


async def seed(dsn: str, urls: list[str]) -> int:
    """OFFICES box offices, each subscribed once at each receiver, with ORDERS orders; the events written."""
    clock = SystemClock()
    checkout = Checkout(clock, [Outbox(payload_renderer("http://127.0.0.1"), clock)])
    conn = await connect(dsn)
    try:
        for _ in range(OFFICES):
            office = await factories.box_office(conn)
            scope = Scope(office["id"], True)
            for url in urls:
                data = parse(subscriptions.SubscriptionCreate, {"url": url, "event_types": ["order.placed"]})
                await subscriptions.create_subscription(conn, scope, "pro", data, GUARD)
            event_id, type_id = await factories.event_with_type(conn, scope, quantity=ORDERS)
            for n in range(ORDERS):
                await checkout.place(conn, scope, factories.order_input(event_id, type_id, email=f"b{n}@example.com"))
        return int(await conn.fetchval("SELECT count(*) FROM webhook_deliveries"))
    finally:
        await conn.close()


async def age_leases(dsn: str) -> int:
    """What LEASE's 60 s would do to the deliveries the killed worker had claimed: due now."""
    conn = await connect(dsn)
    try:
        done = await conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now()"
                                  " WHERE status = 'pending' AND next_attempt_at > now()")
    finally:
        await conn.close()
    return int(done.split()[-1])


async def outbox(dsn: str) -> dict[str, Any]:
    conn = await connect(dsn)
    try:
        events = {r["id"] for r in await conn.fetch("SELECT id FROM webhook_events")}
        states = Counter(r["status"] for r in await conn.fetch("SELECT status FROM webhook_deliveries"))
    finally:
        await conn.close()
    return {"events": events, "states": states}


def slowed(receiver: Receiver, seconds: float) -> None:
    """Each POST answered after ``seconds``: deliveries are still in flight when the victim dies."""
    handler = receiver.server.RequestHandlerClass
    answer = handler.do_POST  # type: ignore[attr-defined]

    def do_post(self: Any) -> None:
        time.sleep(seconds)
        answer(self)

    handler.do_POST = do_post  # type: ignore[attr-defined]


async def quiet(receivers: list[Receiver], still: float, timeout: float) -> None:
    """Until no POST came for ``still`` seconds (the survivor idle: only the victim's leases left),
    so aging the leases touches none of the survivor's sends in flight."""
    deadline, last, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() - since < still:
        assert time.monotonic() < deadline, "the survivor never went idle"
        if (now := posts(receivers)) != last:
            last, since = now, time.monotonic()
        await asyncio.sleep(0.05)


def posts(receivers: list[Receiver]) -> int:
    return sum(len(r.received) for r in receivers)


async def test_kill_9_of_a_worker_loses_no_webhook_event(fresh_dsn: str, tmp_path: Path) -> None:
    receivers = [Receiver() for _ in range(SUBSCRIPTIONS)]  # one per subscription of each office
    for receiver in receivers:
        slowed(receiver, 0.05)
    try:
        deliveries = await seed(fresh_dsn, [r.url for r in receivers])
        envs = [process_env(fresh_dsn, tmp_path / f"data{n}", encryption_keys=KEY, development=True,
                            webhook_allow_cidrs="127.0.0.0/8") for n in range(2)]
        with running(["worker"], envs[0], tmp_path) as survivor, running(["worker"], envs[1], tmp_path) as victim:
            await victim.until_logged("webhook worker running")
            started = time.monotonic()
            await survivor.until_logged("webhook worker running")
            await until(lambda: posts(receivers) >= KILL_AFTER, 20, "POSTs before kill -9", victim)
            victim.popen.kill()  # SIGKILL, by PID
            assert victim.popen.wait(10) == -9
            seen_at_kill = posts(receivers)
            # the survivor delivers what is not leased; what the victim held stays leased (LEASE, 60 s)
            await quiet(receivers, 1.5, 15)
            aged = await age_leases(fresh_dsn)
            deadline = time.monotonic() + 15
            while (state := await outbox(fresh_dsn))["states"].get("succeeded", 0) < deliveries \
                    and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            took = time.monotonic() - started
    finally:
        for receiver in receivers:
            receiver.close()
    expected = {f"msg_{e}" for e in state["events"]}
    per_receiver = [Counter(r.headers["webhook-id"] for r in receiver.received) for receiver in receivers]
    duplicates = sum(n - 1 for seen in per_receiver for n in seen.values())
    figures = {"events": len(state["events"]), "deliveries": deliveries, "posts": posts(receivers),
               "posts_at_kill": seen_at_kill, "aged_leases": aged, "duplicates": duplicates,
               "states": dict(state["states"]), "seconds_to_full_delivery": round(took, 2)}
    print(f"kill -9 of a worker during deliveries: {figures}")
    assert len(state["events"]) == OFFICES * ORDERS and deliveries == len(state["events"]) * SUBSCRIPTIONS
    assert state["states"] == {"succeeded": deliveries}, "a delivery not done"
    for seen in per_receiver:  # each subscription got every event, a duplicate under the same webhook-id
        assert set(seen) == expected, f"lost: {expected - set(seen)}, unknown: {set(seen) - expected}"
    assert posts(receivers) == deliveries + duplicates
    for receiver in receivers:  # a duplicate is the same message: one body per webhook-id
        bodies: dict[str, set[bytes]] = {}
        for got in receiver.received:
            bodies.setdefault(got.headers["webhook-id"], set()).add(got.body)
        assert all(len(b) == 1 for b in bodies.values()), "two different bodies under one webhook-id"
