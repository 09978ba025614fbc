"""`kill -9` of one of two `ticketgate serve` processes during 200 concurrent operator checkouts on
50 seats, each with an Idempotency-Key; a checkout whose connection dropped is retried against the
survivor with the same key. Exactly 50 orders, each with its ticket, `sold` equal to the valid issued
tickets, and no buyer charged twice.

A claim left `running` by the killed process is taken over only after admin.STALE_RUNNING (5 min):
the test does not wait for it, it ages those rows' created_at past the window (saying so), which is
what the clock would do, then retries those keys once more.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from core.models import Scope
from tests import factories
from tests.ops.conftest import connect
from tests.ops.procs import Proc, free_port, process_env, running, until, until_ready

SEATS, BUYERS, KILL_AFTER = 50, 200, 10  # seats, concurrent checkouts, answers of the victim before kill -9
TOKEN = "faults-admin-token-0123456789"
RUNNING = "still being processed"


async def seed(dsn: str) -> dict[str, Any]:
    conn = await connect(dsn)
    try:
        office = await factories.box_office(conn)
        event_id, type_id = await factories.event_with_type(conn, Scope(office["id"], True), quantity=SEATS)
    finally:
        await conn.close()
    return {"path": f"/admin/v1/box-offices/{office['slug']}/orders", "event": event_id, "type": type_id}


class Checkouts:
    """BUYERS checkouts, alternately on each process; the victim killed after KILL_AFTER answers."""

    def __init__(self, sale: dict[str, Any], clients: list[httpx.AsyncClient], victim: Proc) -> None:
        self.sale, self.clients, self.victim = sale, clients, victim
        self.answers: dict[int, httpx.Response] = {}
        self.victim_answers = 0
        self.dropped = 0  # checkouts whose connection to the victim dropped (retried on the survivor)
        self.killed_at = 0.0

    def body(self, buyer: int) -> dict[str, Any]:
        return {"event": f"ev_{self.sale['event']}", "tickets": [f"tt_{self.sale['type']}:1"],
                "email": f"buyer{buyer}@example.com"}

    async def buy(self, buyer: int, on: int) -> None:
        headers = {"idempotency-key": f"buyer-{buyer}"}
        while True:
            try:
                answer = await self.clients[on].post(self.sale["path"], json=self.body(buyer), headers=headers)
            except httpx.TransportError:
                assert on == 1, f"the survivor dropped buyer {buyer}"
                self.dropped, on = self.dropped + 1, 0
                continue
            self.victim_answers += on == 1
            self.answers[buyer] = answer
            return

    async def kill(self) -> None:
        await until(lambda: self.victim_answers >= KILL_AFTER, 30, "answers before kill -9", self.victim)
        self.victim.popen.kill()  # SIGKILL, by PID
        self.killed_at = time.monotonic()

    async def run(self) -> None:
        await asyncio.gather(self.kill(), *(self.buy(b, b % 2) for b in range(BUYERS)))

    def running_claims(self) -> list[int]:
        return [b for b, a in self.answers.items() if a.status_code == 409 and RUNNING in a.text]


async def age_running_claims(dsn: str) -> int:
    """What STALE_RUNNING's 5 minutes would do to the claims the killed process left `running`."""
    conn = await connect(dsn)
    try:
        done = await conn.execute("UPDATE idempotency_keys SET created_at = created_at - interval '6 minutes'"
                                  " WHERE state = 'running'")
    finally:
        await conn.close()
    return int(done.split()[-1])


async def ledger(dsn: str, sale: dict[str, Any]) -> dict[str, Any]:
    conn = await connect(dsn)
    try:
        orders = await conn.fetch(
            "SELECT o.id, o.buyer_email, (SELECT count(*) FROM issued_tickets t WHERE t.order_id = o.id"
            " AND t.status = 'valid') AS tickets FROM orders o WHERE o.event_id = $1", sale["event"])
        sold = await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", sale["type"])
        valid = await conn.fetchval("SELECT count(*) FROM issued_tickets WHERE event_id = $1 AND status = 'valid'",
                                    sale["event"])
    finally:
        await conn.close()
    return {"orders": orders, "sold": sold, "valid": valid}


async def checkouts_through_a_kill(dsn: str, sale: dict[str, Any], tmp_path: Path) -> tuple[Checkouts, dict[str, Any]]:
    """The checkouts over two serve processes, the victim killed; the stranded claims aged and retried."""
    ports = [free_port(), free_port()]
    envs = [process_env(dsn, tmp_path / f"data{n}", port=port, admin_token=TOKEN, rate_limits_enabled=False,
                        webhook_worker=False) for n, port in enumerate(ports)]
    limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
    with running(["serve"], envs[0], tmp_path) as survivor, running(["serve"], envs[1], tmp_path) as victim:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        await asyncio.gather(until_ready(survivor, bases[0]), until_ready(victim, bases[1]))
        clients = [httpx.AsyncClient(base_url=base, timeout=20, limits=limits,
                                     headers={"authorization": f"Bearer {TOKEN}"}) for base in bases]
        try:
            checkouts, started = Checkouts(sale, clients, victim), time.monotonic()
            await checkouts.run()
            stranded = checkouts.running_claims()
            aged = await age_running_claims(dsn) if stranded else 0
            await asyncio.gather(*(checkouts.buy(b, 0) for b in stranded))
            took = time.monotonic() - started
        finally:
            for client in clients:
                await client.aclose()
        assert victim.popen.wait(10) == -9
    return checkouts, {"dropped_and_retried": checkouts.dropped, "stranded_running_claims": len(stranded),
                       "aged_claims": aged, "seconds": round(took, 2)}


async def test_kill_9_during_checkouts_neither_oversells_nor_charges_twice(fresh_dsn: str, tmp_path: Path) -> None:
    sale = await seed(fresh_dsn)
    checkouts, figures = await checkouts_through_a_kill(fresh_dsn, sale, tmp_path)
    book = await ledger(fresh_dsn, sale)
    statuses = Counter(a.status_code for a in checkouts.answers.values())
    figures.update(checkouts=BUYERS, seats=SEATS, statuses=dict(statuses), orders=len(book["orders"]),
                   sold=book["sold"], valid_tickets=book["valid"])
    print(f"kill -9 during checkouts: {figures}")
    (tmp_path / "figures.json").write_text(json.dumps(figures))
    sold_to = {f"buyer{b}@example.com" for b, a in checkouts.answers.items() if a.status_code == 201}
    emails = Counter(o["buyer_email"] for o in book["orders"])
    assert len(book["orders"]) == SEATS == book["sold"] == book["valid"]
    assert all(o["tickets"] == 1 for o in book["orders"]), "an order without its ticket"
    assert max(emails.values()) == 1, f"charged twice: {[e for e, n in emails.items() if n > 1]}"
    assert set(emails) == sold_to, "an order the buyer never heard of, or a 201 without its order"
    assert statuses[201] == SEATS and len(checkouts.answers) == BUYERS
    assert not checkouts.running_claims()
