"""Draining on SIGTERM, against real `ticketgate serve` / `ticketgate worker` processes.

Each test runs its processes on a fresh database (``fresh_dsn``) of the suite's server (TEST_DATABASE_URL's,
else the embedded one), on loopback and free ports, and stops them by PID.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from core import subscriptions
from core.addresses import AddressPolicy
from core.clock import SystemClock
from core.models import Scope, parse
from core.vault import Vault
from gateway.config import load_settings
from gateway.runtime import Gateway, build_checkout
from tests import factories
from tests.ops.conftest import connect
from tests.ops.procs import Proc, free_port, process_env, running, until, until_ready
from tests.webhooks.receiver import Receiver

SHUTDOWN = 5.0  # shutdown_timeout of the load test's server
MARGIN = 5.0  # seconds past shutdown_timeout the process may take to exit (pool, embedded client)
TOTAL, CONNECTIONS, SIGNAL_AFTER = 200, 20, 60  # requests, keep-alive connections, answers before SIGTERM
EVENTS, TYPES = 100, 30  # the listed page: 100 events of 30 ticket types, a request of some 100 ms


# --- readiness while draining -------------------------------------------------------------

async def test_readyz_turns_503_as_soon_as_draining_starts(gateway: Gateway, client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200
    gateway.begin_drain()
    try:
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
        live = await client.get("/healthz")  # liveness stays up: the orchestrator must not kill a drain
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
    finally:
        gateway.draining = False  # the session's gateway serves the other tests
    assert (await client.get("/readyz")).status_code == 200


# --- SIGTERM under load ---------------------------------------------------------------------

@dataclass
class Outcome:
    started: float
    ended: float
    kind: str  # "answered" | "refused" (listener closed) | "unanswered" (keep-alive closed) | "cut off"
    status: int = 0
    valid: bool = False


async def seed_events(dsn: str, count: int) -> str:
    """A box office with ``count`` events of TYPES ticket types; a Ticket Tailor key's secret."""
    conn = await connect(dsn)
    try:
        office = await factories.box_office(conn)
        for n in range(count):
            types = [{"name": f"Tier {t}", "price": 1000 + t, "quantity": 50} for t in range(TYPES)]
            await factories.event(conn, Scope(office["id"], True), title=f"Show {n}", ticket_types=types)
        return await factories.key(conn, office, "tickettailor")
    finally:
        await conn.close()


async def one_request(client: httpx.AsyncClient) -> Outcome:
    started = time.monotonic()
    try:
        async with client.stream("GET", "/tickettailor/v1/events", params={"limit": EVENTS}) as response:
            try:
                body = await response.aread()
            except httpx.TransportError:  # headers came, the body did not: cut off
                return Outcome(started, time.monotonic(), "cut off", response.status_code)
    except httpx.ConnectError:
        return Outcome(started, time.monotonic(), "refused")
    except (httpx.RemoteProtocolError, httpx.ReadError):  # closed before any answer
        return Outcome(started, time.monotonic(), "unanswered")
    try:
        valid = len(orjson.loads(body)["data"]) == EVENTS
    except (orjson.JSONDecodeError, KeyError, TypeError):
        valid = False
    return Outcome(started, time.monotonic(), "answered", response.status_code, valid)


class Load:
    """TOTAL requests over CONNECTIONS keep-alive connections; SIGTERM after SIGNAL_AFTER answers,
    then /readyz asked at once on a connection of its own."""

    def __init__(self, proc: Proc, base: str, secret: str) -> None:
        self.proc, self.base, self.secret = proc, base, secret
        self.outcomes: list[Outcome] = []
        self.issued = 0
        self.signalled = 0.0
        self.readyz: tuple[int, Any] | None = None  # the answer right after SIGTERM, when one came

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(base_url=self.base, auth=(self.secret, ""), limits=limits,
                                     timeout=SHUTDOWN + MARGIN) as client, \
                httpx.AsyncClient(base_url=self.base, timeout=2) as probe:
            assert (await probe.get("/readyz")).status_code == 200  # its connection is kept alive
            await asyncio.gather(self.signal(probe), *(self.connection(client) for _ in range(CONNECTIONS)))

    async def connection(self, client: httpx.AsyncClient) -> None:
        while self.issued < TOTAL:
            self.issued += 1
            self.outcomes.append(await one_request(client))

    async def signal(self, probe: httpx.AsyncClient) -> None:
        await until(lambda: sum(o.kind == "answered" for o in self.outcomes) >= SIGNAL_AFTER, 30,
                    "answers before the signal", self.proc)
        self.signalled = self.proc.terminate()
        try:
            answer = await probe.get("/readyz")
            self.readyz = (answer.status_code, answer.json())
        except httpx.TransportError:
            pass  # the listener and idle connections closed first: nothing to observe

    def in_flight_at_signal(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.started < self.signalled < o.ended]


async def test_sigterm_under_load_every_answer_is_complete(fresh_dsn: str, tmp_path: Path) -> None:
    secret = await seed_events(fresh_dsn, EVENTS)
    port = free_port()
    env = process_env(fresh_dsn, tmp_path / "data", port=port, shutdown_timeout=SHUTDOWN,
                      rate_limits_enabled=False, webhook_worker=False)
    with running(["serve"], env, tmp_path) as proc:
        await until_ready(proc, f"http://127.0.0.1:{port}")
        load = Load(proc, f"http://127.0.0.1:{port}", secret)
        await load.run()
        assert await proc.exit_code(SHUTDOWN + MARGIN) == 0
        exited = time.monotonic() - load.signalled
    kinds = Counter(o.kind for o in load.outcomes)
    print(f"outcomes: {dict(kinds)}; in flight at SIGTERM: {len(load.in_flight_at_signal())};"
          f" /readyz right after SIGTERM: {load.readyz}; exit {exited:.2f} s after SIGTERM")
    assert len(load.outcomes) == TOTAL
    assert kinds["cut off"] == 0
    answered = [o for o in load.outcomes if o.kind == "answered"]
    assert all(o.status == 200 and o.valid for o in answered), Counter((o.status, o.valid) for o in answered)
    assert [o for o in load.outcomes if o.kind != "answered" and o.ended < load.signalled] == []
    assert any(o.kind == "answered" for o in load.in_flight_at_signal()), "nothing was in flight at SIGTERM"
    assert kinds["refused"] > 0, "the listener never closed"
    if load.readyz is not None:
        assert load.readyz == (503, {"status": "draining"})
    assert "Traceback" not in proc.output, proc.output


# --- a delivery claimed at SIGTERM is delivered by another process --------------------------

HOLD = 6.0  # the receiver holds the first delivery this long: in flight when its worker drains
DRAIN = 1.0  # shutdown_timeout of the process that claimed it


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(hold_first=HOLD)
    yield r
    r.close()


async def subscribe_and_order(dsn: str, url: str) -> int:
    """A subscription to order.placed and one order (its delivery is due at once); the delivery's id."""
    conn = await connect(dsn)
    try:
        office = await factories.box_office(conn)
        scope = Scope(office["id"], True)
        data = parse(subscriptions.SubscriptionCreate, {"url": url, "event_types": ["order.placed"]})
        # stored as the servers under test store it: no encryption_keys, external database
        guard = subscriptions.Guard(AddressPolicy(development=True), Vault([]))
        await subscriptions.create_subscription(conn, scope, "pro", data, guard)
        event_id, type_id = await factories.event_with_type(conn, scope, title="Hooked")
        checkout = build_checkout(load_settings(environ={}), SystemClock())
        await checkout.place(conn, scope, factories.order_input(event_id, type_id))
        delivery_id: int = await conn.fetchval("SELECT id FROM webhook_deliveries")
        return delivery_id
    finally:
        await conn.close()


def start(command: str, dsn: str, tmp_path: Path, **settings: Any) -> tuple[list[str], dict[str, str]]:
    env = process_env(dsn, tmp_path / "data", development=True, port=free_port(), **settings)
    return [command], env


async def up(proc: Proc, env: dict[str, str]) -> None:
    if proc.args[0] == "serve":
        await until_ready(proc, f"http://127.0.0.1:{env['TICKETGATE_PORT']}")
    else:
        await proc.until_logged("webhook worker running")


@pytest.mark.parametrize(("claimant", "other"), [("serve", "worker"), ("worker", "serve")])
async def test_a_delivery_claimed_at_sigterm_is_delivered_by_another_process(
    fresh_dsn: str, tmp_path: Path, receiver: Receiver, claimant: str, other: str
) -> None:
    args, env = start(claimant, fresh_dsn, tmp_path, shutdown_timeout=DRAIN)
    with running(args, env, tmp_path) as first:
        await up(first, env)
        delivery_id = await subscribe_and_order(fresh_dsn, receiver.url)
        await until(lambda: len(receiver.received) == 1, 20, "the first attempt", first)
        args, env2 = start(other, fresh_dsn, tmp_path)
        with running(args, env2, tmp_path) as second:
            await up(second, env2)
            signalled = first.terminate()
            assert await first.exit_code(DRAIN + MARGIN) == 0
            exited = time.monotonic() - signalled
            # well before the claim's lease (60 s) runs out: it was handed back, not left to expire
            await until(lambda: len(receiver.received) == 2, 20, "the delivery by the other process", second)
            second.terminate()
            assert await second.exit_code(MARGIN) == 0
    print(f"{claimant} exited {exited:.2f} s after SIGTERM; {other} delivered")
    assert "1 claimed deliveries handed back" in first.output
    held, delivered = receiver.received
    assert held.headers["webhook-id"] == delivered.headers["webhook-id"]
    assert held.body == delivered.body
    conn = await connect(fresh_dsn)
    try:
        row = await conn.fetchrow("SELECT status, attempts FROM webhook_deliveries WHERE id = $1", delivery_id)
        recorded = await conn.fetchval("SELECT count(*) FROM webhook_attempts WHERE delivery_id = $1", delivery_id)
    finally:
        await conn.close()
    assert (row["status"], row["attempts"], recorded) == ("succeeded", 1, 1)


@pytest.mark.parametrize("command", ["worker", "serve"])
async def test_an_attempt_in_flight_at_sigterm_finishes_within_shutdown_timeout(
    fresh_dsn: str, tmp_path: Path, command: str
) -> None:
    receiver = Receiver(hold_first=0.5)  # answers well within the 5 s the drain allows
    try:
        args, env = start(command, fresh_dsn, tmp_path, shutdown_timeout=5)
        with running(args, env, tmp_path) as proc:
            await up(proc, env)
            delivery_id = await subscribe_and_order(fresh_dsn, receiver.url)
            await until(lambda: len(receiver.received) == 1, 20, "the attempt", proc)
            proc.terminate()
            assert await proc.exit_code(5 + MARGIN) == 0
    finally:
        receiver.close()
    assert "handed back" not in proc.output
    conn = await connect(fresh_dsn)
    try:
        row = await conn.fetchrow("SELECT status, attempts FROM webhook_deliveries WHERE id = $1", delivery_id)
    finally:
        await conn.close()
    assert (row["status"], row["attempts"], len(receiver.received)) == ("succeeded", 1, 1)
